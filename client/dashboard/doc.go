// Package dashboard serves the regulator's audit dashboard: one web page showing the
// consortium (organisations, roles, key holders, threshold), the datasets with their
// remaining privacy budget and their submissions, and for every query a timeline from
// request to release (each step with its transaction ID, organisation and time) beside
// the status and evidence of each audit check.
//
// A Server keeps a view of the ledger in memory. It reads the ledger once when it starts
// (and again whenever it reconnects to the chaincode event stream), then follows the
// chaincode's events: after a burst of events it re-reads the records they name,
// re-audits the queries they touch, and tells the open pages over server-sent events.
// Besides the page it serves the JSON the page reads, /healthz and /metrics
// (Prometheus).
//
// Everything the ledger holds is untrusted: the page builds its elements with
// textContent, never with HTML from the ledger, and is served with a
// Content-Security-Policy that allows only its own embedded scripts and styles.
package dashboard
