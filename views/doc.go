// Package views holds Roster's templ components: layout/ (the page shell),
// components/ (pieces shared across areas), one folder per area with its
// pages and htmx fragments. Views take view models built by web/, never
// database models, and contain no logic beyond presentation.
//
// The pages run under a strict Content-Security-Policy: no inline
// <script>, no on* attributes and no style attributes. Behaviour lives in
// static/app.js, looks in static/style.css.
package views
