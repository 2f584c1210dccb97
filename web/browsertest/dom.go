package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// HTMXIdle waits up to 10 seconds until htmx has no request in flight and
// nothing left to swap or settle.
func HTMXIdle() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](
		`document.querySelectorAll('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added').length === 0`,
		chromedp.WithPollingTimeout(10*time.Second))
}

// HTMXReady waits until the element css selects is visible, htmx has
// processed it (attached its hx-* listeners) and htmx is idle. chromedp
// can otherwise act on a freshly swapped element before htmx listens to
// it, and the change is silently lost.
func HTMXReady(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(css)),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(
			`(e => !!e && !!e['htmx-internal-data'] && !!e['htmx-internal-data'].initHash)(document.querySelector(%s))`, JSString(css)),
			chromedp.WithPollingTimeout(10*time.Second)),
		HTMXIdle(),
	)
}

// ChooseOption selects the option of the select css whose trimmed text is
// label and fires change, as a person picking it does (SetValue fires
// nothing). It fails when there is no such option.
func ChooseOption(css, label string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const s = document.querySelector(%[1]s);
		const o = s && Array.from(s.options).find(o => o.textContent.trim() === %[2]s);
		if (!o) throw new Error('no option ' + %[2]s + ' in ' + %[1]s);
		s.value = o.value;
		s.dispatchEvent(new Event('change', {bubbles: true}));
	})()`, JSString(css), JSString(label)))
}

// WaitText waits up to 10 seconds until the trimmed text of the element
// css selects is want.
func WaitText(css, want string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`(e => !!e && e.textContent.trim() === %s)(document.querySelector(%s))`, JSString(want), JSString(css)),
		chromedp.WithPollingTimeout(10*time.Second))
}

// JSString quotes s as a JavaScript string literal.
func JSString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TextOf returns the whitespace-collapsed text of the element css
// selects, and fails the test when nothing matches. It reads in one
// evaluation: a node looked up first and read after can be swapped out by
// htmx in between.
func TextOf(t testing.TB, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(e => {
		if (!e) throw new Error('nothing matches ' + %[1]s);
		return e.textContent;
	})(document.querySelector(%[1]s))`, JSString(css))))
	require.NoError(t, err, "text of %s", css)
	return strings.Join(strings.Fields(s), " ")
}

// TextsOf returns the whitespace-collapsed text of every element css
// selects, in document order.
func TextsOf(t testing.TB, ctx context.Context, css string) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s), e => e.textContent.replace(/\s+/g, ' ').trim())`, JSString(css))))
	require.NoError(t, err)
	return out
}

// AttrsOf returns attribute attr of every element css selects, in
// document order.
func AttrsOf(t testing.TB, ctx context.Context, css, attr string) []string {
	t.Helper()
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`Array.from(document.querySelectorAll(%s), e => e.getAttribute(%s))`, JSString(css), JSString(attr))))
	require.NoError(t, err)
	return out
}

// NodeCount returns how many elements css selects.
func NodeCount(t testing.TB, ctx context.Context, css string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%s).length`, JSString(css))))
	require.NoError(t, err)
	return n
}
