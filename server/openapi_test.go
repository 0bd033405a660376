package server

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// openAPIDoc is the part of openapi.yaml the test compares.
type openAPIDoc struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]struct {
			Properties map[string]any `yaml:"properties"`
			Required   []string       `yaml:"required"`
		} `yaml:"schemas"`
	} `yaml:"components"`
}

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	b, err := os.ReadFile("openapi.yaml")
	require.NoError(t, err)
	var doc openAPIDoc
	require.NoError(t, yaml.Unmarshal(b, &doc))
	return doc
}

// TestOpenAPIMatchesRoutes: every operation the handlers serve is
// documented, and nothing else is.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range apiRoutes {
		served = append(served, rt.method+" "+rt.pattern)
	}
	slices.Sort(documented)
	slices.Sort(served)
	assert.Equal(t, served, documented)
}

// TestOpenAPISchemasMatchTypes: each documented schema has exactly the
// JSON fields of the Go type that is encoded or decoded for it, and
// requires only fields the type always has.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadOpenAPI(t)
	types := map[string]any{
		"Error":        apiError{},
		"RoomSpec":     RoomSpec{},
		"RoomStatus":   RoomStatus{},
		"PlayerInfo":   PlayerInfo{},
		"Reservation":  Reservation{},
		"MatchRequest": MatchRequest{},
		"MatchResult":  MatchResult{},
	}
	for name, v := range types {
		schema, ok := doc.Components.Schemas[name]
		if !assert.True(t, ok, "schema %s is documented", name) {
			continue
		}
		fields, always := jsonFields(reflect.TypeOf(v))
		var props []string
		for p := range schema.Properties {
			props = append(props, p)
		}
		slices.Sort(props)
		assert.Equal(t, fields, props, "schema %s", name)
		for _, r := range schema.Required {
			assert.Contains(t, always, r, "schema %s requires %s, which the type may omit", name, r)
		}
	}
	assert.Len(t, doc.Components.Schemas, len(types), "every schema is checked")
}

// jsonFields returns the JSON names of t's fields (sorted), and those
// without omitempty.
func jsonFields(t reflect.Type) (names, always []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _ := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && tag == "" {
			n, a := jsonFields(f.Type)
			names, always = append(names, n...), append(always, a...)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	slices.Sort(names)
	return names, always
}
