package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/dashboard"
)

// FuzzServeHTTP sends any method, path and Range header, the parts of a request a browser
// or an attacker controls, to a dashboard that has read the fake ledger: it never panics
// and never fails with a server error; every answer carries the security headers; and an
// error from the API is the documented JSON object {"error": "..."}.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range [][3]string{
		{"GET", "/", ""},
		{"GET", "/api/overview", ""},
		{"GET", "/api/queries/q-1", ""},
		{"HEAD", "/api/queries/..%2f..%2fetc", ""},
		{"GET", "/api/queries/%3Cscript%3E", ""},
		{"GET", "/static/app.js", "bytes=0-10,5-2"},
		{"GET", "/static/..%2fdashboard.go", ""},
		{"GET", "/api/events", ""},
		{"GET", "/healthz", ""},
		{"POST", "/api/overview", ""},
		{"DELETE", "/static/x", "bytes=-1"},
	} {
		f.Add(s[0], s[1], s[2])
	}
	h := start(f, dashboard.Config{}, nil)
	handler := h.srv.Config.Handler
	require.Eventually(f, func() bool {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/overview", nil))
		return rec.Code == http.StatusOK
	}, 5*time.Second, 5*time.Millisecond, "the dashboard never read the fake ledger")
	done, cancel := context.WithCancel(context.Background())
	cancel() // the event stream returns at once instead of following updates
	f.Fuzz(func(t *testing.T, method, target, rangeHeader string) {
		req, err := http.NewRequestWithContext(done, method, "http://dashboard"+target, nil)
		if err != nil || !strings.HasPrefix(target, "/") {
			return // not a request a server can receive
		}
		if rangeHeader != "" {
			req.Header.Set("Range", rangeHeader)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		require.Less(t, rec.Code, 500, "%s %q answered %d: %s", method, target, rec.Code, rec.Body)
		require.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
		require.NotEmpty(t, rec.Header().Get("Content-Security-Policy"))
		if rec.Code >= 400 && rec.Header().Get("Content-Type") == "application/json" {
			var body map[string]string
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), "%s", rec.Body)
			require.NotEmpty(t, body["error"])
		}
	})
}
