// Package static holds the browser assets of the Roster admin app: the
// vendored htmx library, the stylesheet, the favicon and a small app.js.
//
// Everything is embedded into the binary, so a deployment is a single file.
// All assets work under a strict Content-Security-Policy
// (script-src 'self'; style-src 'self'); see README.md in this directory.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"io/fs"
	"sync"
)

// FS contains the embedded static assets, at the root of the file system
// (e.g. "style.css", "htmx.min.js"). Serve it under /static/, for example
// with http.FileServerFS(static.FS) behind http.StripPrefix("/static/", ...).
//
//go:embed htmx.min.js style.css favicon.svg app.js
var FS embed.FS

// Version returns a short content hash (10 hex characters) over all embedded
// files. It changes whenever any asset changes, so the layout can link
// "/static/style.css?v=" + static.Version() and the server may serve assets
// with a long-lived, immutable Cache-Control header.
//
// The hash is computed once, on first use.
func Version() string {
	return version()
}

// URL returns the public path of the named asset with the cache-busting
// version appended, e.g. URL("style.css") == "/static/style.css?v=0123456789".
func URL(name string) string {
	return "/static/" + name + "?v=" + version()
}

var version = sync.OnceValue(func() string {
	h := sha256.New()
	// fs.WalkDir visits entries in lexical order, so the hash is stable.
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		// Length-prefix name and content so that distinct file sets
		// can never produce the same byte stream.
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(path)))
		h.Write(n[:])
		h.Write([]byte(path))
		binary.BigEndian.PutUint64(n[:], uint64(len(data)))
		h.Write(n[:])
		h.Write(data)
		return nil
	})
	if err != nil {
		// Unreachable for an embed.FS; fail loudly rather than serve
		// assets with a version that never changes.
		panic("static: hashing embedded files: " + err.Error())
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
})
