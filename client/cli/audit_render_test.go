package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/audit"
)

func sampleReport() *audit.Report {
	checks := func(failing audit.CheckName) []audit.Check {
		var cs []audit.Check
		for _, n := range audit.QueryChecks {
			c := audit.Check{Name: n, Status: audit.StatusPass, Detail: "ok"}
			if n == failing {
				c = audit.Check{Name: n, Status: audit.StatusFail, Detail: "the blob of submission s-1 does not verify",
					Evidence: []audit.Evidence{{Kind: "blob", ID: "s-1", Org: "HospitalBMSP", Digest: "ab12"}}}
			}
			cs = append(cs, c)
		}
		return cs
	}
	return &audit.Report{
		Scope:       audit.Scope{DatasetID: "adm"},
		GeneratedAt: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC),
		Chain:       audit.ChainReport{Check: audit.Check{Name: audit.CheckChain, Status: audit.StatusPending, Detail: "no peers compared (not requested)"}},
		Datasets:    []audit.DatasetReport{{DatasetID: "adm", BudgetTotalMicro: 5_000_000, BudgetSpentMicro: 1_500_000, Submissions: 4, Checks: []audit.Check{{Name: audit.CheckBudget, Status: audit.StatusPass}}, Passed: true}},
		Queries: []audit.QueryReport{
			{QueryID: "q-1", DatasetID: "adm", QueryStatus: "released", Checks: checks(""), Passed: true},
			{QueryID: "q-2", DatasetID: "adm", QueryStatus: "released", Checks: checks(audit.CheckInputs)},
		},
		Failures: 1,
	}
}

func TestAuditTableShowsTheVerdictEveryCheckAndTheFailuresEvidence(t *testing.T) {
	var out bytes.Buffer
	a := &app{stdout: &out}
	require.NoError(t, a.renderAudit("table", sampleReport()))
	s := out.String()
	require.Contains(t, s, "audit of dataset adm: FAILED (1 check failed), 1 datasets, 2 queries")
	require.Contains(t, s, "1.5 of 5")
	require.Regexp(t, `QUERY\s+STATUS\s+POLICY\s+APPROVALS\s+BUDGET\s+INPUTS\s+COMPUTATION\s+SHARES\s+RELEASE\n`, s)
	require.Regexp(t, `q-2\s+released\s+pass\s+pass\s+pass\s+fail\s+pass`, s)
	require.Contains(t, s, "FAIL query q-2 inputs: the blob of submission s-1 does not verify")
	require.Contains(t, s, "  blob id=s-1 org=HospitalBMSP digest=ab12")
	require.NotContains(t, s, "FAIL query q-1")
	require.Equal(t, 1, strings.Count(s, "FAIL "))
}

func TestAuditJSONIsTheReport(t *testing.T) {
	var out bytes.Buffer
	a := &app{stdout: &out}
	rep := sampleReport()
	require.NoError(t, a.renderAudit("json", rep))
	var back audit.Report
	require.NoError(t, json.Unmarshal(out.Bytes(), &back))
	require.Equal(t, *rep, back)
}
