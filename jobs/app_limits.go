package jobs

import (
	"context"
	"time"

	"github.com/rosterhq/roster/models"
)

// appLimits holds an app's calls to its limits. Calls at once are this
// process's (appSlots): with several replicas an app may see up to
// replicas × its limit at once. Calls per second are the installation's:
// they count in a one-second window in the database (Store.TakeAppCall),
// one statement per call of an app that has the limit, none for the others.
// A call over a limit is put back (JobSnooze) for a second, or until the
// window ends: waiting never polls the database in a loop.
type appLimits struct {
	slots appSlots
	store *models.Store
}

// acquire takes room for one call to app. It returns release, or (nil,
// wait) when the app is at a limit and the action should be put back for
// wait.
func (l *appLimits) acquire(ctx context.Context, app *models.App) (release func(), wait time.Duration, err error) {
	release, ok := l.slots.acquire(ctx, app.ID, app.MaxConcurrency, slotPatience)
	if !ok {
		return nil, slotWait, nil
	}
	if app.MaxCallsPerSecond > 0 {
		ok, next, err := l.store.TakeAppCall(ctx, app.ID, app.MaxCallsPerSecond, time.Now())
		if err != nil || !ok {
			release()
			return nil, max(time.Until(next), 10*time.Millisecond), err
		}
	}
	return release, 0, nil
}
