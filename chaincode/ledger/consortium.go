package ledger

import (
	"slices"
	"sort"
	"strings"
	"time"
)

// Role is what an organisation may do in the consortium.
type Role string

// The consortium roles (see DESIGN.md, "Who uses it").
const (
	RoleMember   Role = "member"   // approves or rejects queries and datasets
	RoleProvider Role = "provider" // submits encrypted data
	RoleAnalyst  Role = "analyst"  // requests statistics and records releases
	RoleWorker   Role = "worker"   // claims jobs and posts results
	RoleAuditor  Role = "auditor"  // reads everything, writes nothing
	// RoleKeyHolder is held by every organisation whose Org.KeyHolder is set: it records
	// the collective key and posts decryption shares. It is not listed in Org.Roles.
	RoleKeyHolder Role = "keyholder"
)

// AllRoles lists every role, in a fixed order.
var AllRoles = []Role{RoleMember, RoleProvider, RoleAnalyst, RoleWorker, RoleAuditor, RoleKeyHolder}

// RoleAttribute is the certificate attribute that narrows a caller's roles: when a
// client certificate carries it, the caller has only those of its organisation's roles
// that the attribute lists (comma-separated, such as "worker" or "member,keyholder").
const RoleAttribute = "statledger.role"

// Org is one organisation of the consortium.
type Org struct {
	Name      string `json:"name"`
	MSPID     string `json:"mspID"`
	Roles     []Role `json:"roles"`
	KeyHolder bool   `json:"keyHolder"`
}

// Consortium is the on-ledger record of who is in the consortium and what each may do.
// Threshold is t of t-of-n threshold decryption; n is the number of key holders.
// Version starts at 1 and grows by one with every applied ConsortiumChange; the chaincode
// sets it, and ignores any value given to InitConsortium.
type Consortium struct {
	Name      string `json:"name"`
	Orgs      []Org  `json:"orgs"`
	Threshold int    `json:"threshold"`
	Version   int    `json:"version,omitempty"`
}

// Clone returns a copy of c that shares no memory with it.
func (c Consortium) Clone() Consortium {
	c.Orgs = slices.Clone(c.Orgs)
	for i := range c.Orgs {
		c.Orgs[i].Roles = slices.Clone(c.Orgs[i].Roles)
	}
	return c
}

// Validate checks the consortium: a name, 1 to MaxOrgs organisations with distinct names
// and MSP IDs, known roles listed once each, at least one member, and 1 <= Threshold <=
// number of key holders. It returns an INVALID *Error.
func (c Consortium) Validate() error {
	if err := validateText("consortium name", c.Name, MaxTitleLength, true); err != nil {
		return err
	}
	if len(c.Orgs) == 0 || len(c.Orgs) > MaxOrgs {
		return invalid("consortium must have 1 to %d organisations, not %d", MaxOrgs, len(c.Orgs))
	}
	names := map[string]bool{}
	msps := map[string]bool{}
	members, holders := 0, 0
	for i, o := range c.Orgs {
		if err := validateText("organisation name", o.Name, MaxTitleLength, true); err != nil {
			return err
		}
		if err := ValidateID("MSP ID of organisation "+itoa(i), o.MSPID); err != nil {
			return err
		}
		if names[o.Name] || msps[o.MSPID] {
			return invalid("organisation %s appears twice in the consortium", o.MSPID)
		}
		names[o.Name], msps[o.MSPID] = true, true
		seen := map[Role]bool{}
		for _, r := range o.Roles {
			if !r.assignable() {
				return invalid("organisation %s has unknown role %q; roles are member, provider, analyst, worker and auditor", o.MSPID, string(r))
			}
			if seen[r] {
				return invalid("organisation %s lists role %s twice", o.MSPID, r)
			}
			seen[r] = true
		}
		if seen[RoleMember] {
			members++
		}
		if o.KeyHolder {
			holders++
		}
	}
	if members == 0 {
		return invalid("consortium must have at least one member organisation")
	}
	if c.Threshold < 1 || c.Threshold > holders {
		return invalid("threshold must be between 1 and the number of key holders (%d), not %d", holders, c.Threshold)
	}
	return nil
}

// assignable reports whether r may be listed in Org.Roles.
func (r Role) assignable() bool {
	switch r {
	case RoleMember, RoleProvider, RoleAnalyst, RoleWorker, RoleAuditor:
		return true
	}
	return false
}

// Org returns the organisation with the given MSP ID.
func (c Consortium) Org(mspID string) (Org, bool) {
	for _, o := range c.Orgs {
		if o.MSPID == mspID {
			return o, true
		}
	}
	return Org{}, false
}

// OrgRoles returns the roles of the organisation mspID, including RoleKeyHolder for a key
// holder, sorted; nil if it is not in the consortium.
func (c Consortium) OrgRoles(mspID string) []Role {
	o, ok := c.Org(mspID)
	if !ok {
		return nil
	}
	roles := append([]Role(nil), o.Roles...)
	if o.KeyHolder {
		roles = append(roles, RoleKeyHolder)
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i] < roles[j] })
	return roles
}

// CallerRoles returns the roles a caller of organisation mspID has. When the caller's
// certificate carries the RoleAttribute (hasAttr), attr narrows the organisation's roles
// to those it lists; names it lists that the organisation lacks give nothing.
func (c Consortium) CallerRoles(mspID, attr string, hasAttr bool) []Role {
	roles := c.OrgRoles(mspID)
	if !hasAttr {
		return roles
	}
	if len(attr) > MaxRoleAttributeLength {
		return nil
	}
	want := map[Role]bool{}
	for _, f := range strings.Split(attr, ",") {
		want[Role(strings.TrimSpace(f))] = true
	}
	var out []Role
	for _, r := range roles {
		if want[r] {
			out = append(out, r)
		}
	}
	return out
}

// HasRole reports whether the organisation mspID has role r.
func (c Consortium) HasRole(mspID string, r Role) bool {
	for _, x := range c.OrgRoles(mspID) {
		if x == r {
			return true
		}
	}
	return false
}

// Members returns the MSP IDs of the member organisations, sorted.
func (c Consortium) Members() []string {
	var out []string
	for _, o := range c.Orgs {
		if c.HasRole(o.MSPID, RoleMember) {
			out = append(out, o.MSPID)
		}
	}
	sort.Strings(out)
	return out
}

// KeyHolders returns the MSP IDs of the key holders, sorted.
func (c Consortium) KeyHolders() []string {
	var out []string
	for _, o := range c.Orgs {
		if o.KeyHolder {
			out = append(out, o.MSPID)
		}
	}
	sort.Strings(out)
	return out
}

// Majority is the number of member approvals a consortium change needs: more than half
// of the members.
func (c Consortium) Majority() int { return len(c.Members())/2 + 1 }

// InitConsortium checks the consortium given to InitConsortium and returns the record to
// store, at version 1. exists says whether a consortium is already stored. The caller, of
// organisation callerMSPID and with the certificate attribute roleAttr when hasRoleAttr,
// must be a member of the consortium it defines. It returns CONFLICT when a consortium
// exists, INVALID for a bad definition and FORBIDDEN for a caller that is not a member.
func InitConsortium(in Consortium, exists bool, callerMSPID, roleAttr string, hasRoleAttr bool) (Consortium, error) {
	if exists {
		return Consortium{}, conflict("the consortium is already initialised; change it with ProposeConsortiumChange")
	}
	if err := in.Validate(); err != nil {
		return Consortium{}, err
	}
	member := false
	for _, r := range in.CallerRoles(callerMSPID, roleAttr, hasRoleAttr) {
		member = member || r == RoleMember
	}
	if !member {
		return Consortium{}, forbidden("InitConsortium needs the member role in the consortium it defines; the caller from %s does not have it", callerMSPID)
	}
	in.Version = 1
	return in, nil
}

// ConsortiumChange is a proposed replacement of the consortium record. It is applied when
// a majority of the members of the consortium version it was proposed against approve it.
type ConsortiumChange struct {
	ID          string     `json:"id"`
	Consortium  Consortium `json:"consortium"`
	Reason      string     `json:"reason"`
	BaseVersion int        `json:"baseVersion"`
	Proposer    string     `json:"proposer"`
	Approvals   []Approval `json:"approvals"`
	Status      Status     `json:"status"`
	ProposedAt  time.Time  `json:"proposedAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
}

// ConsortiumChangeInput is the argument of ProposeConsortiumChange.
type ConsortiumChangeInput struct {
	ID         string     `json:"id"`
	Consortium Consortium `json:"consortium"`
	Reason     string     `json:"reason"`
}

// Validate checks the input. It returns an INVALID *Error.
func (in ConsortiumChangeInput) Validate() error {
	if err := ValidateID("change ID", in.ID); err != nil {
		return err
	}
	if err := validateText("reason", in.Reason, MaxReasonLength, true); err != nil {
		return err
	}
	return in.Consortium.Validate()
}

// ProposeConsortiumChange records a proposal by the member caller against the current
// consortium cur; the proposal counts as the proposer's approval and is applied at once
// when that is already a majority (a one-member consortium). It returns the change, the
// consortium to store (cur, or the new one when applied) and FORBIDDEN for a non-member.
func ProposeConsortiumChange(cur Consortium, in ConsortiumChangeInput, caller string, txID string, at time.Time) (ConsortiumChange, Consortium, error) {
	if err := in.Validate(); err != nil {
		return ConsortiumChange{}, cur, err
	}
	if !cur.HasRole(caller, RoleMember) {
		return ConsortiumChange{}, cur, forbidden("only a member may propose a consortium change; %s is not one", caller)
	}
	ch := ConsortiumChange{
		ID:          in.ID,
		Consortium:  in.Consortium,
		Reason:      in.Reason,
		BaseVersion: cur.Version,
		Proposer:    caller,
		Approvals:   []Approval{{MSPID: caller, Decision: DecisionApprove, Reason: in.Reason, TxID: txID, At: at}},
		Status:      StatusProposed,
		ProposedAt:  at,
		UpdatedAt:   at,
	}
	ch.Consortium.Version = 0
	return applyIfMajority(cur, ch)
}

// ApproveConsortiumChange adds the member caller's approval to ch. When the approvals
// reach a majority of cur's members, the change is applied: the returned consortium is
// the proposed one at cur.Version+1. It returns FORBIDDEN for a non-member, CONFLICT for a
// second approval by one organisation and BAD_STATE when the change is no longer open or
// the consortium has changed since it was proposed.
func ApproveConsortiumChange(cur Consortium, ch ConsortiumChange, caller, reason, txID string, at time.Time) (ConsortiumChange, Consortium, error) {
	if err := validateText("reason", reason, MaxReasonLength, false); err != nil {
		return ch, cur, err
	}
	if !cur.HasRole(caller, RoleMember) {
		return ch, cur, forbidden("only a member may approve a consortium change; %s is not one", caller)
	}
	if ch.Status != StatusProposed {
		return ch, cur, badState("consortium change %s is %s, not open for approval", ch.ID, ch.Status)
	}
	if ch.BaseVersion != cur.Version {
		return ch, cur, badState("consortium change %s was proposed against version %d, but the consortium is at version %d; propose it again", ch.ID, ch.BaseVersion, cur.Version)
	}
	for _, a := range ch.Approvals {
		if a.MSPID == caller {
			return ch, cur, conflict("%s has already approved consortium change %s", caller, ch.ID)
		}
	}
	ch.Approvals = appendApproval(ch.Approvals, Approval{MSPID: caller, Decision: DecisionApprove, Reason: reason, TxID: txID, At: at})
	ch.UpdatedAt = at
	return applyIfMajority(cur, ch)
}

func applyIfMajority(cur Consortium, ch ConsortiumChange) (ConsortiumChange, Consortium, error) {
	votes := 0
	for _, a := range ch.Approvals {
		if cur.HasRole(a.MSPID, RoleMember) {
			votes++
		}
	}
	if votes < cur.Majority() {
		return ch, cur, nil
	}
	next := ch.Consortium
	next.Version = cur.Version + 1
	ch.Status = StatusApplied
	return ch, next, nil
}

// ConsortiumChangeProgress says how many more member approvals ch needs under cur, such
// as "consortium change c-1 needs 1 more approval from a member".
func ConsortiumChangeProgress(cur Consortium, ch ConsortiumChange) string {
	votes := 0
	for _, a := range ch.Approvals {
		if cur.HasRole(a.MSPID, RoleMember) {
			votes++
		}
	}
	return "consortium change " + ch.ID + " needs " + plural(cur.Majority()-votes, "more approval") + " from a member"
}
