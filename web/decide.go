package web

import "github.com/labstack/echo/v4"

// Placeholder handlers for deciding and tasks; replaced as they are built.

func (s *Server) teamUpdatesApprove(c echo.Context) error { return echo.ErrNotImplemented }

func (s *Server) teamUpdatesReject(c echo.Context) error { return echo.ErrNotImplemented }

func (s *Server) actionRetry(c echo.Context) error { return echo.ErrNotImplemented }

func (s *Server) tasksPage(c echo.Context) error { return echo.ErrNotImplemented }

func (s *Server) taskDone(c echo.Context) error { return echo.ErrNotImplemented }

func (s *Server) taskUndone(c echo.Context) error { return echo.ErrNotImplemented }
