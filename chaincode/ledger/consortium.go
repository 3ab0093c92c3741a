package ledger

// Role is what an organisation may do in the consortium.
type Role string

// The consortium roles (see DESIGN.md, "Who uses it").
const (
	RoleMember   Role = "member"   // approves or rejects queries and datasets
	RoleProvider Role = "provider" // submits encrypted data
	RoleAnalyst  Role = "analyst"  // requests statistics and records releases
	RoleWorker   Role = "worker"   // claims jobs and posts results
	RoleAuditor  Role = "auditor"  // reads everything, writes nothing
)

// Org is one organisation of the consortium.
type Org struct {
	Name      string `json:"name"`
	MSPID     string `json:"mspID"`
	Roles     []Role `json:"roles"`
	KeyHolder bool   `json:"keyHolder"`
}

// Consortium is the on-ledger record of who is in the consortium and what each may do.
// Threshold is t of t-of-n threshold decryption; n is the number of key holders.
type Consortium struct {
	Name      string `json:"name"`
	Orgs      []Org  `json:"orgs"`
	Threshold int    `json:"threshold"`
}
