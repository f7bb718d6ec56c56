// Command client is the seeds' test client in Go: it mints a JWT with the
// gateway's secret and issuer, then calls the gateway without the token and
// with it, and prints each status and body.
//
// Usage, with the gateway of Caddyfile.example running:
//
//	go run ./examples/client
//	go run ./examples/client -url https://localhost:8443/hello_service/greet
//
// The defaults match Caddyfile.example: its example secret (or $JWT_SECRET),
// the issuer my_issuer, and the gateway's local CA in ./caddy-data.
//
// With -token-only it prints a token and nothing else, for other programs:
//
//	go run ./examples/client -token-only -claim role=service -claim services=hello_service
package main

import (
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// exampleSecret is the secret Caddyfile.example falls back to when
// JWT_SECRET is not set.
const exampleSecret = "gateway-example-secret-change-me-0123456789"

type claimFlags map[string]string

func (c claimFlags) String() string { return fmt.Sprint(map[string]string(c)) }

func (c claimFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want key=value, got %q", v)
	}
	c[k] = val
	return nil
}

func main() {
	secret := os.Getenv("JWT_SECRET")
	if secret == "" {
		secret = exampleSecret
	}
	target := flag.String("url", "https://localhost:8443/hello_service", "the gateway URL to call")
	flag.StringVar(&secret, "secret", secret, "the HMAC secret (default: $JWT_SECRET or Caddyfile.example's)")
	issuer := flag.String("issuer", "my_issuer", "the iss claim")
	sub := flag.String("sub", "1234567890", "the sub claim")
	ttl := flag.Duration("ttl", time.Hour, "how long the token is valid")
	cacert := flag.String("cacert", "caddy-data/pki/authorities/local/root.crt", "the CA that signed the gateway's certificate (empty: the system's)")
	tokenOnly := flag.Bool("token-only", false, "print a token and exit")
	extra := claimFlags{}
	flag.Var(extra, "claim", "an extra claim key=value (repeatable)")
	flag.Parse()
	log.SetFlags(0)

	claims := jwt.MapClaims{"sub": *sub, "iss": *issuer, "exp": time.Now().Add(*ttl).Unix(), "iat": time.Now().Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	if err != nil {
		log.Fatal(err)
	}
	if *tokenOnly {
		fmt.Println(token)
		return
	}
	fmt.Println("Token:", token)

	client, err := newClient(*cacert)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println()
	fmt.Println("Without a token:")
	call(client, *target, "")
	fmt.Println()
	fmt.Println("With the token (sent bare in Authorization, as the seed's client does):")
	call(client, *target, token)
}

func call(client *http.Client, target, token string) {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		log.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Println("Response:", resp.Status)
	if h := resp.Header.Get("WWW-Authenticate"); h != "" {
		fmt.Println("WWW-Authenticate:", h)
	}
	fmt.Println("Response Body:", strings.TrimSpace(string(body)))
}

func newClient(cacert string) (*http.Client, error) {
	c := &http.Client{Timeout: 10 * time.Second}
	if cacert == "" {
		return c, nil
	}
	pem, err := os.ReadFile(cacert)
	if err != nil {
		return nil, fmt.Errorf("%v (run from the repository root while the gateway runs, or pass -cacert)", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate found", cacert)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	return c, nil
}
