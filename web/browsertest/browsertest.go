// Package browsertest drives real headless Chromium through chromedp for
// the browser tests of web and cmd/roster: it starts the browser, watches
// its console, saves screenshots and waits on htmx. It is for tests only;
// nothing outside *_test.go files imports it.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium is where Debian (and .ci/run) installs Chromium.
const chromium = "/usr/bin/chromium"

// ChromiumPath is Debian's Chromium. Without it the browser tests skip on
// a developer's machine and fail in CI, where .ci/run installs it. Call it
// before starting servers to skip early; New calls it too.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("browser test: %s is missing (apt-get install chromium): %v", chromium, err)
		}
		t.Fatalf("browser test: CI is set but %s is missing: %v", chromium, err)
	}
	return chromium
}

// options is what Option adjusts.
type options struct {
	width, height int
}

// Option adjusts the browser New starts.
type Option func(*options)

// WindowSize sets the browser window's size in pixels (1280x900 unless
// set). It decides where the page wraps and the width of screenshots.
func WindowSize(width, height int) Option {
	return func(o *options) { o.width, o.height = width, height }
}

// New starts headless Chromium with a profile of its own and returns a
// context for one tab. Everything, the browser included, stops after
// limit, so a hung page fails the test instead of the run. The browser
// and its profile go when the test ends.
func New(t testing.TB, limit time.Duration, opts ...Option) context.Context {
	t.Helper()
	o := options{width: 1280, height: 900}
	for _, opt := range opts {
		opt(&o)
	}
	allocOpts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(o.width, o.height),
	)
	// The limit is on the allocator's parent: cancelling it ends the
	// browser, which is what should happen when the test runs too long.
	limitCtx, cancelLimit := context.WithTimeout(context.Background(), limit)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(limitCtx, allocOpts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancelLimit()
	})
	require.NoError(t, chromedp.Do(ctx), "start Chromium")
	return ctx
}

// Console collects what the page writes to the console: calls of the
// console API, uncaught exceptions and the browser's own log, where CSP
// violations appear. Older Chromium words them "Refused to ...", current
// Chromium "... violates the following Content Security Policy directive
// ...", both at level error.
type Console struct {
	mu       sync.Mutex
	messages []chromedp.ConsoleMessage
}

// WatchConsole starts collecting the console messages of the tab ctx is
// for. It subscribes at once, so call it before the first navigation.
func WatchConsole(ctx context.Context) *Console {
	c := &Console{}
	messages := chromedp.Console(ctx) // subscribes now, before any navigation
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.messages = append(c.messages, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// Seen reports whether a message containing text has arrived.
func (c *Console) Seen(text string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.messages {
		if strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

// Problems returns the messages a clean page never writes, in arrival
// order: console errors, uncaught exceptions and CSP violations, each
// with the URL it came from.
func (c *Console) Problems() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.messages {
		if m.IsException() || m.Type == chromedp.ConsoleError ||
			strings.Contains(m.Text, "Refused to") || strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, m.String()+" ("+m.URL+")")
		}
	}
	return out
}

// Screenshot saves a full-page PNG named name into dir (usually the
// test's temporary directory) and, when ROSTER_SCREENSHOT_DIR is set, a
// copy there for people to look at.
func Screenshot(t testing.TB, ctx context.Context, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err, "screenshot %s", name)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
	if keep := os.Getenv("ROSTER_SCREENSHOT_DIR"); keep != "" {
		require.NoError(t, os.MkdirAll(keep, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(keep, name), png, 0o644))
		t.Logf("screenshot: %s", filepath.Join(keep, name))
	}
}

// CurrentPath returns the path of the tab's current URL.
func CurrentPath(t testing.TB, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	return u.Path
}
