package dashboard_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/statledger/statledger/client/dashboard"
)

func TestZZShot(t *testing.T) {
	h := start(t, dashboard.Config{}, func(h *harness) { h.a.failing = map[string]bool{released: true} })
	h.overview(t, audited)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath("/usr/bin/chromium"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel2 := chromedp.NewContext(actx)
	defer cancel2()
	require.NoError(t, chromedp.Do(bctx, chromedp.EmulateViewport(1440, 1000)))
	ctx, c3 := context.WithTimeout(bctx, 60*time.Second)
	defer c3()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(h.srv.URL+"/#query="+released),
		chromedp.WaitVisible(`li.stage[data-stage="release"] li.step`), chromedp.Sleep(300*time.Millisecond)))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile("/tmp/dash-shot.png", png, 0o644))
}
