package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/rosterhq/roster/jobs/app/scim"
	"github.com/rosterhq/roster/models"
)

// Where `roster app add` reads a SCIM app's secret from, when set; else
// one line of standard input. Never a flag: flags stay in shell history
// and show in ps.
const (
	envSCIMToken        = "ROSTER_SCIM_TOKEN"
	envSCIMClientSecret = "ROSTER_SCIM_CLIENT_SECRET"
)

// secretFlags are flags people try for a secret; they are refused by name.
var secretFlags = []string{"token", "client-secret", "oauth-client-secret", "secret"}

// appFlags are app add's flags.
type appFlags struct {
	kind, name, description, deprovision string
	baseURL, tokenURL, clientID, scopes  string
	onNotFound                           string
}

// appCommand is `roster app add --kind scim --name NAME --base-url URL
// [--oauth-token-url URL --oauth-client-id ID [--scopes a,b]]
// [--deprovision disable|delete] [--on-not-found gone|recreate]`: a SCIM
// app and its sealed connection, in one transaction. The bearer token (or
// the OAuth client secret) comes from ROSTER_SCIM_TOKEN (or
// ROSTER_SCIM_CLIENT_SECRET) or one line of standard input. The last line
// is app=NAME id=N kind=scim.
func appCommand(ctx context.Context, cfg *config, logger *slog.Logger, args []string, env map[string]string, stdin io.Reader, stdout io.Writer) error {
	const use = "app: usage: roster app add --kind scim --name NAME --base-url URL [--oauth-token-url URL --oauth-client-id ID [--scopes a,b]] [--deprovision disable|delete] [--on-not-found gone|recreate]"
	if len(args) == 0 || args[0] != "add" {
		return &usageError{use}
	}
	f, err := parseAppFlags(args[1:])
	if err != nil {
		return err
	}
	if f.kind != string(models.AppSCIM) {
		return &usageError{"app add: only --kind scim is added from the command line; add webhook and manual apps on the Apps page"}
	}
	in := models.SCIMInput{BaseURL: f.baseURL, OAuthTokenURL: f.tokenURL, OAuthClientID: f.clientID, OnNotFound: f.onNotFound}
	if f.scopes != "" {
		in.Scopes = strings.Split(f.scopes, ",")
	}
	if err := readSCIMSecret(&in, env, stdin); err != nil {
		return err
	}
	appIn := models.AppInput{Kind: models.AppSCIM, Name: f.name, Description: f.description, DeprovisionMode: f.deprovision}
	if err := checkAppInput(ctx, cfg, &appIn, &in); err != nil {
		return err
	}

	db, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer db.Close()
	sealer, err := models.NewSealer(cfg.secretKey)
	if err != nil {
		return err
	}
	store := models.NewStore(db)
	var app *models.App
	err = store.WithTx(ctx, func(tx *models.Store) error {
		if app, err = tx.CreateApp(ctx, models.CLIActor, appIn); err != nil {
			return err
		}
		return tx.SetSCIMSettings(ctx, models.CLIActor, app.ID, in, sealer)
	})
	if errors.Is(err, models.ErrConflict) {
		return &usageError{fmt.Sprintf("app add: an app named %q exists already", appIn.Name)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Added %s, a SCIM 2.0 app at %s; roster reconcile --app %q reads its accounts.\n", app.Name, in.BaseURL, app.Name)
	fmt.Fprintf(stdout, "app=%s id=%d kind=%s\n", app.Name, app.ID, app.Kind)
	return nil
}

func parseAppFlags(args []string) (appFlags, error) {
	for _, a := range args {
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && slices.Contains(secretFlags, name) {
			return appFlags{}, &usageError{fmt.Sprintf("app add: secrets are never flags (they stay in shell history): set %s or %s, or write the secret on standard input", envSCIMToken, envSCIMClientSecret)}
		}
	}
	var f appFlags
	fs := flag.NewFlagSet("app add", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&f.kind, "kind", "", "app kind")
	fs.StringVar(&f.name, "name", "", "app name")
	fs.StringVar(&f.description, "description", "", "what the app is")
	fs.StringVar(&f.deprovision, "deprovision", models.DeprovisionDisable, "disable or delete leavers' accounts")
	fs.StringVar(&f.baseURL, "base-url", "", "SCIM base URL")
	fs.StringVar(&f.tokenURL, "oauth-token-url", "", "OAuth token URL")
	fs.StringVar(&f.clientID, "oauth-client-id", "", "OAuth client id")
	fs.StringVar(&f.scopes, "scopes", "", "OAuth scopes, comma-separated")
	fs.StringVar(&f.onNotFound, "on-not-found", models.SCIMOnNotFoundGone, "gone or recreate")
	if err := fs.Parse(args); err != nil {
		return f, &usageError{"app add: " + err.Error()}
	}
	if fs.NArg() > 0 {
		return f, &usageError{fmt.Sprintf("app add: unexpected argument %q", fs.Arg(0))}
	}
	return f, nil
}

// readSCIMSecret fills the token, or the client secret when OAuth is
// named, from the environment or one line of standard input.
func readSCIMSecret(in *models.SCIMInput, env map[string]string, stdin io.Reader) error {
	name, dst := envSCIMToken, &in.Token
	if in.OAuthTokenURL != "" || in.OAuthClientID != "" {
		name, dst = envSCIMClientSecret, &in.OAuthClientSecret
	}
	if v := env[name]; v != "" {
		*dst = strings.TrimSpace(v)
		return nil
	}
	if stdin != nil {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("app add: read the secret from standard input: %w", err)
		}
		*dst = strings.TrimSpace(line)
	}
	if *dst == "" {
		return &usageError{fmt.Sprintf("app add: no secret: set %s or write it on standard input", name)}
	}
	return nil
}

// flagOf names, for an invalid field, the flag or variable that sets it.
var flagOf = map[string]string{
	"name": "--name", "kind": "--kind", "deprovision_mode": "--deprovision", "base_url": "--base-url",
	"token": envSCIMToken, "oauth_token_url": "--oauth-token-url", "oauth_client_id": "--oauth-client-id",
	"oauth_client_secret": envSCIMClientSecret, "scopes": "--scopes", "on_not_found": "--on-not-found",
}

// checkAppInput validates the app and its connection, then the
// connection against the outbound policy roster serve calls through (so
// http:// to a private address needs ROSTER_ALLOW_PRIVATE_TARGETS now,
// not at the first call).
func checkAppInput(ctx context.Context, cfg *config, app *models.AppInput, in *models.SCIMInput) error {
	errs := app.Validate()
	for f, msg := range in.Validate() {
		errs[f] = msg
	}
	if len(errs) > 0 {
		fields := make([]string, 0, len(errs))
		for f := range errs {
			fields = append(fields, f)
		}
		slices.Sort(fields)
		lines := make([]string, len(fields))
		for i, f := range fields {
			lines[i] = flagOf[f] + ": " + errs[f]
		}
		return &usageError{"app add: " + strings.Join(lines, "; ")}
	}
	sc := scim.Config{BaseURL: in.BaseURL, Token: in.Token}
	if in.Token == "" {
		sc.OAuth = &scim.OAuth{TokenURL: in.OAuthTokenURL, ClientID: in.OAuthClientID, ClientSecret: in.OAuthClientSecret, Scopes: in.Scopes}
	}
	if err := sc.Validate(cfg.outbound(ctx)); err != nil {
		return &usageError{"app add: " + strings.ReplaceAll(err.Error(), "\n", "; ")}
	}
	return nil
}
