package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	ruleview "github.com/rosterhq/roster/views/rules"
)

// planningRecent is how long the rules page says a finished re-plan is
// done.
const planningRecent = 15 * time.Minute

// planningStatus is the latest re-plan of everyone, for the rules page.
func (s *Server) planningStatus(ctx context.Context) (ruleview.Planning, error) {
	run, err := s.store.LatestPlanRun(ctx, true, 0)
	if errors.Is(err, models.ErrNotFound) {
		return ruleview.Planning{}, nil
	}
	if err != nil {
		return ruleview.Planning{}, err
	}
	return planningView(run, time.Now()), nil
}

func planningView(run *models.PlanRun, now time.Time) ruleview.Planning {
	switch {
	case run.Status == models.PlanQueued:
		return ruleview.Planning{State: ruleview.PlanningOpen,
			Text: fmt.Sprintf("Re-planning Team Updates (%s): starting…", run.Reason)}
	case run.Status == models.PlanRunning:
		return ruleview.Planning{State: ruleview.PlanningOpen,
			Text: fmt.Sprintf("Re-planning Team Updates (%s): %s of %s people planned…", run.Reason,
				thousands(int64(run.Done)), thousands(int64(run.Total)))}
	case run.Status == models.PlanFailed:
		return ruleview.Planning{State: ruleview.PlanningFailed,
			Text: fmt.Sprintf("Re-planning Team Updates failed: %s. The hourly check plans everyone again.", run.Error)}
	case run.Status == models.PlanDone && run.FinishedAt != nil && now.Sub(*run.FinishedAt) < planningRecent:
		return ruleview.Planning{State: ruleview.PlanningDone,
			Text: fmt.Sprintf("Team Updates re-planned at %s (%s).", formatTime(*run.FinishedAt), plural(run.Total, "person", "people"))}
	}
	return ruleview.Planning{}
}

// rulesPlanning is the status fragment the rules page polls.
func (s *Server) rulesPlanning(c echo.Context) error {
	v, err := s.planningStatus(c.Request().Context())
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, ruleview.PlanStatus(v))
}

// replanEveryone queues a re-plan of everyone, as a job with progress on
// the rules page.
func (s *Server) replanEveryone(c echo.Context) error {
	_, err := s.replanner.PlanEveryone(c.Request().Context(), actor(c), models.ReplanRulesChanged)
	return err
}
