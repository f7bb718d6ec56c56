package introspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Response is what an introspection answer says (RFC 7662 §2.2).
type Response struct {
	Active bool
	// Claims are the answer's top-level members, active included (only
	// for an active token).
	Claims map[string]any
	// Exp is the token's expiry, when the answer has exp.
	Exp    time.Time
	HasExp bool
}

// ParseResponse reads an introspection answer: a JSON object with a
// boolean active. An answer with a member twice (which a JSON reader may
// take either way), without active, or with a non-numeric exp is an error.
func ParseResponse(body []byte) (Response, error) {
	var r Response
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return r, errors.New("not a JSON object")
	}
	claims := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return r, fmt.Errorf("not JSON: %w", err)
		}
		name, _ := tok.(string)
		if _, dup := claims[name]; dup {
			return r, fmt.Errorf("the member %q appears twice", name)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return r, fmt.Errorf("not JSON: %w", err)
		}
		claims[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return r, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return r, errors.New("data after the JSON object")
	}
	active, ok := claims["active"].(bool)
	if !ok {
		return r, errors.New(`no boolean "active"`)
	}
	if !active {
		return Response{}, nil
	}
	r.Active, r.Claims = true, claims
	if exp, ok := claims["exp"]; ok {
		f, isNum := exp.(float64)
		if !isNum || math.IsNaN(f) || f < 0 || f > 1<<40 {
			return Response{}, fmt.Errorf("exp %v is not a time in seconds", exp)
		}
		sec, frac := math.Modf(f)
		r.Exp, r.HasExp = time.Unix(int64(sec), int64(frac*1e9)), true
	}
	return r, nil
}
