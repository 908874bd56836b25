package deploy

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/reviewpolicy/reviewpolicy/config"
)

// object is the part of a Kubernetes object every test reads.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	file string
	node *yaml.Node
}

// manifests decodes every document of every YAML file in kubernetes/,
// checking each is an object (apiVersion and kind), keyed by kind.
func manifests(t *testing.T) map[string][]object {
	t.Helper()
	files, err := filepath.Glob("kubernetes/*.y*ml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in kubernetes/ (%v)", err)
	}
	byKind := map[string][]object{}
	for _, file := range files {
		for i, doc := range yamlDocs(t, file) {
			o := object{file: filepath.Base(file), node: doc}
			if err := doc.Decode(&o); err != nil {
				t.Fatalf("%s document %d: %v", file, i+1, err)
			}
			if o.APIVersion == "" || o.Kind == "" {
				t.Errorf("%s document %d: missing apiVersion or kind", file, i+1)
				continue
			}
			byKind[o.Kind] = append(byKind[o.Kind], o)
		}
	}
	return byKind
}

// one returns the single object of a kind, decoded into v.
func one(t *testing.T, byKind map[string][]object, kind string, v any) object {
	t.Helper()
	if n := len(byKind[kind]); n != 1 {
		t.Fatalf("want one %s, found %d", kind, n)
	}
	o := byKind[kind][0]
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s: %v", o.file, err)
	}
	return o
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type securityContext struct {
	RunAsNonRoot             *bool `yaml:"runAsNonRoot"`
	RunAsUser                *int  `yaml:"runAsUser"`
	ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
	AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
	Capabilities             struct {
		Drop []string `yaml:"drop"`
	} `yaml:"capabilities"`
}

type deployment struct {
	Spec struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				SecurityContext securityContext `yaml:"securityContext"`
				Containers      []struct {
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Env []struct {
						Name      string `yaml:"name"`
						ValueFrom struct {
							SecretKeyRef struct {
								Name string `yaml:"name"`
								Key  string `yaml:"key"`
							} `yaml:"secretKeyRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
					LivenessProbe   probe           `yaml:"livenessProbe"`
					ReadinessProbe  probe           `yaml:"readinessProbe"`
					StartupProbe    probe           `yaml:"startupProbe"`
					SecurityContext securityContext `yaml:"securityContext"`
				} `yaml:"containers"`
				Volumes []struct {
					Name      string `yaml:"name"`
					ConfigMap struct {
						Name string `yaml:"name"`
					} `yaml:"configMap"`
				} `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type configMap struct {
	Data map[string]string `yaml:"data"`
}

type secret struct {
	StringData map[string]string `yaml:"stringData"`
}

func TestKustomizationListsManifests(t *testing.T) {
	t.Parallel()
	byKind := manifests(t)
	var k struct {
		Resources []string `yaml:"resources"`
	}
	one(t, byKind, "Kustomization", &k)
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join("kubernetes", r)); err != nil {
			t.Errorf("kustomization.yaml lists %s: %v", r, err)
		}
	}
	// Every manifest is deployed, except the example Secret, which would
	// overwrite the real one with placeholders.
	for _, objs := range byKind {
		for _, o := range objs {
			listed := slices.Contains(k.Resources, o.file)
			switch {
			case o.Kind == "Kustomization":
			case strings.Contains(o.file, ".example."):
				if listed {
					t.Errorf("kustomization.yaml lists the placeholder %s", o.file)
				}
			case !listed:
				t.Errorf("kustomization.yaml does not list %s", o.file)
			}
		}
	}
}

func TestDeployment(t *testing.T) {
	t.Parallel()
	byKind := manifests(t)
	var d deployment
	one(t, byKind, "Deployment", &d)
	spec := d.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(spec.Containers))
	}
	c := spec.Containers[0]
	if d.Spec.Replicas < 2 {
		t.Errorf("replicas = %d; the manifests are for PostgreSQL and several replicas", d.Spec.Replicas)
	}
	for k, v := range d.Spec.Selector.MatchLabels {
		if d.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod labels", k, v)
		}
	}

	// Probes hit the server's real endpoints, on its port.
	routes := readFile(t, "../cmd/reviewpolicy/routes.go")
	for name, tt := range map[string]struct {
		p    probe
		want string
	}{
		"liveness": {c.LivenessProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"},
		"startup": {c.StartupProbe, "/healthz"},
	} {
		if tt.p.HTTPGet.Path != tt.want {
			t.Errorf("%s probe path = %q, want %s", name, tt.p.HTTPGet.Path, tt.want)
		}
		if !strings.Contains(routes, `"GET `+tt.want+`"`) {
			t.Errorf("routes.go serves no GET %s", tt.want)
		}
		if tt.p.HTTPGet.Port != "http" {
			t.Errorf("%s probe port = %q, want the named port http", name, tt.p.HTTPGet.Port)
		}
	}
	if len(c.Ports) != 1 || c.Ports[0].Name != "http" {
		t.Fatalf("want one container port named http, got %+v", c.Ports)
	}
	port := c.Ports[0].ContainerPort

	// Non-root, read-only, no capabilities.
	nonRoot := func(sc securityContext) bool { return sc.RunAsNonRoot != nil && *sc.RunAsNonRoot }
	if !nonRoot(spec.SecurityContext) && !nonRoot(c.SecurityContext) {
		t.Error("runAsNonRoot is not set")
	}
	for _, sc := range []securityContext{spec.SecurityContext, c.SecurityContext} {
		if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			t.Error("runAsUser is 0 (root)")
		}
	}
	if sc := c.SecurityContext; !sc.ReadOnlyRootFilesystem || !slices.Contains(sc.Capabilities.Drop, "ALL") ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container securityContext must set readOnlyRootFilesystem (%v), drop ALL (%v) and "+
			"allowPrivilegeEscalation: false", sc.ReadOnlyRootFilesystem, sc.Capabilities.Drop)
	}

	// Prometheus scrapes the metrics port and path.
	ann := d.Spec.Template.Metadata.Annotations
	if ann["prometheus.io/scrape"] != "true" || ann["prometheus.io/path"] != "/metrics" ||
		ann["prometheus.io/port"] != strconv.Itoa(port) {
		t.Errorf("prometheus annotations = %v, want scrape on :%d/metrics", ann, port)
	}
	if !strings.Contains(routes, `"GET /metrics"`) {
		t.Error("routes.go serves no GET /metrics")
	}

	// Secrets come from the Secret, under variable names config.Load reads,
	// and keys the example Secret defines.
	var s secret
	sObj := one(t, byKind, "Secret", &s)
	configSrc := readFile(t, "../config/config.go")
	fromSecret := map[string]bool{}
	for _, e := range c.Env {
		ref := e.ValueFrom.SecretKeyRef
		if ref.Name == "" {
			continue
		}
		fromSecret[e.Name] = true
		if !strings.Contains(configSrc, `"`+e.Name+`"`) {
			t.Errorf("env %s is not a variable config.Load reads", e.Name)
		}
		if ref.Name != sObj.Metadata.Name {
			t.Errorf("env %s refers to Secret %q, want %q", e.Name, ref.Name, sObj.Metadata.Name)
		}
		if _, ok := s.StringData[ref.Key]; !ok {
			t.Errorf("env %s refers to key %q, which %s does not define", e.Name, ref.Key, sObj.file)
		}
	}
	for _, name := range []string{"GITHUB_APP_WEBHOOK_SECRET", "GITHUB_APP_PRIVATE_KEY", "REVIEWPOLICY_DATABASE_URL"} {
		if !fromSecret[name] {
			t.Errorf("env %s is not set from the Secret", name)
		}
	}
	if !strings.HasPrefix(s.StringData["database-url"], "postgres://") {
		t.Errorf("example database-url is not PostgreSQL, which several replicas need")
	}

	// The ConfigMap is mounted where the image's entrypoint reads its
	// config, and that config loads and listens on the container port.
	var cm configMap
	cmObj := one(t, byKind, "ConfigMap", &cm)
	configArg := entrypointConfig(t)
	dir, file := path.Split(configArg)
	mounted := false
	for _, v := range spec.Volumes {
		if v.ConfigMap.Name != cmObj.Metadata.Name {
			continue
		}
		for _, m := range c.VolumeMounts {
			mounted = mounted || (m.Name == v.Name && path.Clean(m.MountPath) == path.Clean(dir))
		}
	}
	if !mounted {
		t.Errorf("ConfigMap %s is not mounted at %s", cmObj.Metadata.Name, dir)
	}
	cfgFile := filepath.Join(t.TempDir(), file)
	if err := os.WriteFile(cfgFile, []byte(cm.Data[file]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgFile, secretEnv(t, map[string]string{
		"REVIEWPOLICY_DATABASE_URL": s.StringData["database-url"],
	}))
	if err != nil {
		t.Fatalf("the ConfigMap's %s does not load: %v", file, err)
	}
	if cfg.Server.Address != "0.0.0.0" || cfg.Server.Port != port {
		t.Errorf("server listens on %s, want 0.0.0.0:%d", cfg.ListenAddr(), port)
	}
	// The database comes from the Secret; the file must not pick SQLite,
	// which one replica only may use.
	var raw config.Config
	if err := yaml.Unmarshal([]byte(cm.Data[file]), &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Database.URL != "" && !strings.HasPrefix(raw.Database.URL, "postgres") {
		t.Errorf("the ConfigMap sets database.url %q; leave it to the Secret's PostgreSQL URL", raw.Database.URL)
	}
}

// entrypointConfig returns the --config path in the Dockerfile's ENTRYPOINT.
func entrypointConfig(t *testing.T) string {
	t.Helper()
	for line := range strings.Lines(readFile(t, "Dockerfile")) {
		rest, ok := strings.CutPrefix(line, "ENTRYPOINT ")
		if !ok {
			continue
		}
		var argv []string
		if err := json.Unmarshal([]byte(rest), &argv); err != nil {
			t.Fatalf("ENTRYPOINT is not exec form: %v", err)
		}
		if i := slices.Index(argv, "--config"); i >= 0 && i+1 < len(argv) {
			return argv[i+1]
		}
		t.Fatalf("ENTRYPOINT %v has no --config", argv)
	}
	t.Fatal("Dockerfile has no ENTRYPOINT")
	return ""
}

func TestServiceAndDisruptionBudgetSelectPods(t *testing.T) {
	t.Parallel()
	byKind := manifests(t)
	var d deployment
	one(t, byKind, "Deployment", &d)
	pods := d.Spec.Template.Metadata.Labels

	var svc struct {
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
	one(t, byKind, "Service", &svc)
	var pdb struct {
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
		} `yaml:"spec"`
	}
	one(t, byKind, "PodDisruptionBudget", &pdb)

	for name, sel := range map[string]map[string]string{"Service": svc.Spec.Selector, "PodDisruptionBudget": pdb.Spec.Selector.MatchLabels} {
		if len(sel) == 0 {
			t.Errorf("%s has an empty selector", name)
		}
		for k, v := range sel {
			if pods[k] != v {
				t.Errorf("%s selects %s=%s, which the pods do not carry", name, k, v)
			}
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 80 || svc.Spec.Ports[0].TargetPort != "http" {
		t.Errorf("Service ports = %+v, want 80 -> http", svc.Spec.Ports)
	}
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	text := readFile(t, "Dockerfile")
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", `-X main.version=${VERSION}`, "EXPOSE 8080",
		"FROM gcr.io/distroless/static-debian12:nonroot", "./cmd/reviewpolicy",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// Every base image is pinned by a digest: a tag can be moved under us.
	pinned := regexp.MustCompile(`^FROM (--platform=\S+ )?\S+:\S+@sha256:[0-9a-f]{64}( AS \S+)?$`)
	froms := 0
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "FROM ") {
			froms++
			if !pinned.MatchString(line) {
				t.Errorf("base image not pinned by digest: %s", line)
			}
		}
	}
	if froms < 2 {
		t.Errorf("%d FROM lines; want the build and the final stage", froms)
	}
	// -X silently does nothing if the variable is renamed.
	if !strings.Contains(readFile(t, "../cmd/reviewpolicy/run.go"), "var version =") {
		t.Error("cmd/reviewpolicy has no `var version`, which -X main.version sets")
	}
	for line := range strings.Lines(text) {
		if user, ok := strings.CutPrefix(strings.TrimSpace(line), "USER "); ok {
			uid, _, _ := strings.Cut(user, ":")
			if uid == "0" || uid == "root" || strings.Trim(uid, "0123456789") != "" {
				t.Errorf("USER %s: want a numeric non-root UID (runAsNonRoot can only check numbers)", user)
			}
			return
		}
	}
	t.Error("Dockerfile sets no USER")
}
