package chain

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/statledger/statledger/client/audit"
)

// reportedFaults is how many faults the check's Detail spells out; Evidence lists all
// that the Result kept.
const reportedFaults = 3

// Report returns the comparison as the audit's chain check (audit.CheckChain): pass when
// every peer served the same intact chain, with each peer's tip as evidence; fail
// otherwise, with one evidence item per fault and organisation, naming the block.
func (r *Result) Report() audit.ChainReport {
	rep := audit.ChainReport{Peers: r.Peers, Blocks: r.Blocks, Check: audit.Check{Name: audit.CheckChain}}
	var orgs []string
	for _, p := range r.Peers {
		orgs = append(orgs, p.Org)
	}
	if r.Passed() {
		rep.Check.Status = audit.StatusPass
		rep.Check.Detail = fmt.Sprintf("%s serve the same %d blocks, each chain intact", peers(orgs), r.Blocks)
		for _, p := range r.Peers {
			rep.Check.Evidence = append(rep.Check.Evidence, audit.Evidence{
				Kind: "block", ID: strconv.FormatUint(r.Blocks-1, 10), Digest: p.TipHash, Org: p.Org,
				Note: "header hash of the last block compared",
			})
		}
		return rep
	}
	rep.Check.Status = audit.StatusFail
	var sentences []string
	for _, m := range r.Mismatches {
		sentences = append(sentences, m.String())
		for _, org := range m.Orgs {
			rep.Check.Evidence = append(rep.Check.Evidence, audit.Evidence{
				Kind: "block", ID: strconv.FormatUint(m.Block, 10), Org: org, Note: m.String(),
			})
		}
	}
	for _, b := range r.Breaks {
		sentences = append(sentences, b.String())
		rep.Check.Evidence = append(rep.Check.Evidence, audit.Evidence{
			Kind: "block", ID: strconv.FormatUint(b.Block, 10), Org: b.Org, Note: b.String(),
		})
	}
	total := len(sentences) + r.Omitted
	detail := fmt.Sprintf("%d fault(s) in %d blocks compared across %s: %s", total, r.Blocks, peers(orgs),
		strings.Join(sentences[:min(len(sentences), reportedFaults)], "; "))
	if more := total - min(len(sentences), reportedFaults); more > 0 {
		detail += fmt.Sprintf("; and %d more", more)
	}
	rep.Check.Detail = detail
	return rep
}
