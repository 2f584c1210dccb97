package outbound_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/jobs/app/outbound"
)

func TestControlRefusesInsideAddresses(t *testing.T) {
	var p outbound.Policy
	for _, tt := range []struct {
		address string
		want    string // "" allowed, else part of the refusal
	}{
		{"127.0.0.1:443", "127.0.0.1 is a loopback address; set ROSTER_ALLOW_PRIVATE_TARGETS=127.0.0.0/8"},
		{"169.254.169.254:80", "169.254.169.254 is a link-local address"},
		{"10.0.0.5:443", "refused: 10.0.0.5 is a private address; set ROSTER_ALLOW_PRIVATE_TARGETS=10.0.0.0/8 to allow it"},
		{"172.20.1.1:443", "a private address"},
		{"192.168.1.10:443", "192.168.1.10 is a private address; set ROSTER_ALLOW_PRIVATE_TARGETS=192.168.0.0/16"},
		{"100.64.0.1:443", "CGNAT"},
		{"[::1]:443", "::1 is a loopback address"},
		{"[::ffff:127.0.0.1]:443", "127.0.0.1 is a loopback address"},
		{"[::ffff:169.254.169.254]:443", "169.254.169.254 is a link-local address"},
		{"[::]:443", "unspecified"},
		{"0.0.0.0:443", "unspecified"},
		{"224.0.0.1:443", "multicast"},
		{"[ff02::1]:443", "multicast"},
		{"[fc00::1]:443", "unique local"},
		{"[fe80::1%eth0]:443", "link-local"},
		{"[64:ff9b::a9fe:a9fe]:443", "NAT64"},
		{"93.184.216.34:443", ""},
		{"[2606:2800:220:1:248:1893:25c8:1946]:443", ""},
	} {
		t.Run(tt.address, func(t *testing.T) {
			err := p.Control("tcp", tt.address, nil)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Control(%s) = %v, want allowed", tt.address, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Control(%s) = %v, want a refusal containing %q", tt.address, err, tt.want)
			}
			if _, ok := outbound.Refused(err); !ok {
				t.Errorf("Refused(%v) = false", err)
			}
		})
	}
}

func TestControlAllowList(t *testing.T) {
	p := outbound.Policy{Allow: mustParse(t, "10.0.0.0/8,::ffff:192.168.1.0/120"),
		Self: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:8080")}}
	for _, tt := range []struct {
		address string
		plain   bool
		ok      bool
	}{
		{"10.1.2.3:443", false, true},
		{"10.1.2.3:80", true, true},          // plain http to an allowed private target
		{"[::ffff:10.1.2.3]:80", true, true}, // the mapped form is the same address
		{"192.168.1.7:443", false, true},     // allowed as ::ffff:192.168.1.0/120
		{"192.168.2.7:443", false, false},
		{"127.0.0.1:8080", true, true}, // Roster's own address: the sample receiver
		{"127.0.0.1:5432", false, false},
		{"11.0.0.1:443", false, true},
		{"93.184.216.34:80", true, false}, // plain http to a public host
	} {
		var err error
		if tt.plain {
			err = p.ControlPlain("tcp", tt.address, nil)
		} else {
			err = p.Control("tcp", tt.address, nil)
		}
		if (err == nil) != tt.ok {
			t.Errorf("%s (plain %v): %v, want ok %v", tt.address, tt.plain, err, tt.ok)
		}
	}
	err := p.ControlPlain("tcp", "93.184.216.34:80", nil)
	if want := "refused: plain http:// to 93.184.216.34, a public address; use https://"; err == nil || err.Error() != want {
		t.Errorf("plain http to a public host: %v, want %q", err, want)
	}
}

func TestParseAllow(t *testing.T) {
	got := mustParse(t, " 10.0.0.0/8, 192.168.1.5 ,::1, fd00::/8,")
	want := []string{"10.0.0.0/8", "192.168.1.5/32", "::1/128", "fd00::/8"}
	if len(got) != len(want) {
		t.Fatalf("ParseAllow = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("ParseAllow[%d] = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "intranet", "10.0.0/8"} {
		if _, err := outbound.ParseAllow(bad); err == nil || !strings.Contains(err.Error(), "is not a CIDR like 10.0.0.0/8") {
			t.Errorf("ParseAllow(%q) = %v, want an error", bad, err)
		}
	}
}

func mustParse(t *testing.T, raw string) []netip.Prefix {
	t.Helper()
	p, err := outbound.ParseAllow(raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// counted is an httptest server on 127.0.0.1 counting the requests it got.
func counted(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if h != nil {
			h(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(p outbound.Policy, url string) error {
	client := &http.Client{Transport: p.Transport()}
	defer client.CloseIdleConnections()
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func TestTransportRefusesLoopbackUnlessAllowed(t *testing.T) {
	srv, hits := counted(t, nil)
	err := get(outbound.Policy{}, srv.URL)
	if _, ok := outbound.Refused(err); !ok || hits.Load() != 0 {
		t.Fatalf("without an allow list: err %v, %d requests reached the server; want refused, none", err, hits.Load())
	}
	if err := get(outbound.Policy{Allow: mustParse(t, "127.0.0.0/8,::1/128")}, srv.URL); err != nil || hits.Load() != 1 {
		t.Fatalf("with 127.0.0.0/8 allowed: err %v, %d requests; want reached once", err, hits.Load())
	}
}

func TestTransportRefusesOtherSpellingsOfLoopback(t *testing.T) {
	srv, hits := counted(t, nil)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	for _, host := range []string{"localhost", "2130706433", "[::ffff:127.0.0.1]", "0x7f.1"} {
		if err := get(outbound.Policy{}, "http://"+host+":"+port+"/"); err == nil {
			t.Errorf("%s: reached, want an error", host)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("%d requests reached the loopback server", hits.Load())
	}
}

func TestTransportRefusesRedirectInside(t *testing.T) {
	inner, innerHits := counted(t, nil)
	_, innerPort, _ := net.SplitHostPort(strings.TrimPrefix(inner.URL, "http://"))
	// The allowed host is 127.0.0.1; the redirect aims at another loopback
	// address (the same server, answering on every 127/8 address on Linux,
	// reached here as ::ffff:127.0.0.2), which is not allowed.
	outer, _ := counted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://[::ffff:127.0.0.2]:"+innerPort+"/", http.StatusFound)
	})
	p := outbound.Policy{Allow: mustParse(t, "127.0.0.1/32")}
	err := get(p, outer.URL)
	re, ok := outbound.Refused(err)
	if !ok || innerHits.Load() != 0 {
		t.Fatalf("redirect inside: err %v, %d requests reached it; want refused, none", err, innerHits.Load())
	}
	if re.Addr.String() != "127.0.0.2" {
		t.Errorf("refused %s, want 127.0.0.2 (the unmapped form)", re.Addr)
	}
	// And a redirect to the metadata address.
	meta, _ := counted(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/", http.StatusFound)
	})
	if _, ok := outbound.Refused(get(p, meta.URL)); !ok {
		t.Fatalf("redirect to 169.254.169.254 was not refused")
	}
}

func TestSelfAddrs(t *testing.T) {
	got := outbound.SelfAddrs(context.Background(), "0.0.0.0:8080", "10.0.0.7", "443")
	want := []string{"127.0.0.1:8080", "[::1]:8080", "10.0.0.7:443"}
	if len(got) != len(want) {
		t.Fatalf("SelfAddrs = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("SelfAddrs[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}
