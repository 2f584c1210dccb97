package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rosterhq/roster/models"
	"github.com/rosterhq/roster/views/dashboard"
)

// dashboard is the page admins land on.
func (s *Server) dashboard(c echo.Context) error {
	ctx := c.Request().Context()
	n, err := s.store.CountAdmins(ctx)
	if err != nil {
		return err
	}
	recent, _, err := s.store.ListAuditEvents(ctx, models.AuditFilter{Limit: 5})
	if err != nil {
		return err
	}
	counts, err := s.store.QueueCounts(ctx, models.ChangeFilter{})
	if err != nil {
		return err
	}
	_, people, err := s.store.ListPeople(ctx, models.PeopleFilter{Limit: 1})
	if err != nil {
		return err
	}
	v := dashboard.View{Admins: n, CanManage: currentAdmin(c).Role.AtLeast(models.RoleOwner), People: people,
		CanLoadSample: people == 0 && currentAdmin(c).Role.AtLeast(models.RoleAdmin),
		ToInvite:      counts[models.QueueInvite], ToUpdate: counts[models.QueueUpdate], ToTerminate: counts[models.QueueTerminate]}
	for _, e := range recent {
		v.RecentActions = append(v.RecentActions, dashboard.Recent{
			At: formatTime(e.CreatedAt), Actor: e.ActorEmail, Action: actionLabel(e.Action),
		})
	}
	return render(c, http.StatusOK, dashboard.Page(s.page(c, "Dashboard", "dashboard"), v))
}
