package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// openAPISchema is the part of a schema the tests compare: its own
// properties, or those of the schemas it is allOf, and an enum's values.
type openAPISchema struct {
	Ref        string                   `yaml:"$ref"`
	Properties map[string]openAPISchema `yaml:"properties"`
	Required   []string                 `yaml:"required"`
	AllOf      []openAPISchema          `yaml:"allOf"`
	Enum       []string                 `yaml:"enum"`
}

// openAPIDoc is the part of openapi.yaml the test compares.
type openAPIDoc struct {
	Paths      map[string]map[string]any `yaml:"paths"`
	Components struct {
		Schemas map[string]openAPISchema `yaml:"schemas"`
	} `yaml:"components"`
}

// fields returns the properties and required fields of s, following allOf
// and the references in it.
func (d openAPIDoc) fields(t *testing.T, s openAPISchema) (props, required []string) {
	t.Helper()
	if s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		require.True(t, ok, "reference %s", s.Ref)
		ref, ok := d.Components.Schemas[name]
		require.True(t, ok, "reference %s names a schema", s.Ref)
		return d.fields(t, ref)
	}
	for p := range s.Properties {
		props = append(props, p)
	}
	required = append(required, s.Required...)
	for _, part := range s.AllOf {
		p, r := d.fields(t, part)
		props, required = append(props, p...), append(required, r...)
	}
	slices.Sort(props)
	return props, required
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
		"ClusterRoom":  ClusterRoom{},
	}
	for name, v := range types {
		schema, ok := doc.Components.Schemas[name]
		if !assert.True(t, ok, "schema %s is documented", name) {
			continue
		}
		fields, always := jsonFields(reflect.TypeOf(v))
		props, required := doc.fields(t, schema)
		assert.Equal(t, fields, props, "schema %s", name)
		for _, r := range required {
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

// TestOpenAPIErrorCodesMatchHandlers: the Error schema's code enum lists
// exactly the codes the handlers can answer with, found in the server's
// source as writeError's code argument and apiError's Code field.
func TestOpenAPIErrorCodesMatchHandlers(t *testing.T) {
	doc := loadOpenAPI(t)
	documented := slices.Sorted(slices.Values(doc.Components.Schemas["Error"].Properties["code"].Enum))
	require.NotEmpty(t, documented, "the Error schema's code enum")

	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	used := map[string]bool{}
	literal := func(e ast.Expr) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			if v, err := strconv.Unquote(lit.Value); err == nil {
				used[v] = true
			}
		}
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "writeError" && len(n.Args) == 4 {
					literal(n.Args[2])
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "apiError" {
					for _, el := range n.Elts {
						if kv, ok := el.(*ast.KeyValueExpr); ok {
							if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Code" {
								literal(kv.Value)
							}
						}
					}
				}
			}
			return true
		})
	}
	require.NotEmpty(t, used, "found the handlers' codes")
	answered := slices.Sorted(maps.Keys(used))
	assert.Equal(t, answered, documented)
}
