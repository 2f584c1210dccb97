// Package layout is the page shell: the HTML document, the signed-in
// application frame with its navigation, and the bare frame of the
// sign-in pages.
package layout

// Page carries what every page needs besides its own content.
type Page struct {
	Title   string   // shown in <title> and as the page heading
	Active  string   // navigation key of the current area, e.g. "admins"
	User    *User    // nil on public pages
	CSRF    string   // token for forms and htmx requests
	Flashes []Flash  // messages from the previous request
	Banners []Banner // standing warnings, e.g. a sync run held by the brake
	Version string   // static asset version, for cache busting
}

// User is the signed-in admin as the shell shows them.
type User struct {
	Email string
	Name  string
	Role  string
}

// Display is the name shown in the sidebar.
func (u *User) Display() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Flash is a one-time message. Kind is success, error or info.
type Flash struct {
	Kind    string
	Message string
}

// Banner is a standing warning across the top of every page until its
// cause is dealt with.
type Banner struct {
	Message  string
	Link     string
	LinkText string
}

// NavItem is one link of the sidebar.
type NavItem struct {
	Key   string
	Label string
	Href  string
}

// Navigation is the sidebar, in order. Areas appear here as they are built.
var Navigation = []NavItem{
	{Key: "dashboard", Label: "Dashboard", Href: "/"},
	{Key: "team-updates", Label: "Team Updates", Href: "/team-updates"},
	{Key: "tasks", Label: "Tasks", Href: "/tasks"},
	{Key: "people", Label: "People", Href: "/people"},
	{Key: "sources", Label: "Sources", Href: "/sources"},
	{Key: "apps", Label: "Apps", Href: "/apps"},
	{Key: "rules", Label: "Rules", Href: "/rules"},
	{Key: "activity", Label: "Activity", Href: "/activity"},
	{Key: "outbox", Label: "Outbox", Href: "/outbox"},
	{Key: "settings", Label: "Settings", Href: "/settings"},
	{Key: "admins", Label: "Admins", Href: "/admins"},
}
