{{/*
The gateway's application.yaml, rendered from the values. Keys are the gateway's own (README, "Configuration
reference"); credentials are never written here, only ${SECRET_...} references to environment variables that the
Deployment fills from the Secret. "railyard.applicationYaml" parses this text, merges extraConfig over it and
prints the result, so the ConfigMap always holds valid YAML.
*/}}
{{- define "railyard.applicationYamlText" -}}
{{- if not .Values.networks }}
{{- fail "networks: no network is configured, and the gateway does not start without one. Set at least one, e.g. --set networks.mainnet.chainId=1 --set networks.mainnet.upstreams.node-a.url=http://10.0.0.1:8545, or a values file like the example above networks in values.yaml (README: Deploying on Kubernetes)" }}
{{- end }}
railyard:
  {{- with .Values.defaultNetwork }}
  default-network: {{ . | quote }}
  {{- end }}
  {{- if .Values.networks }}
  networks:
    {{- range $name, $net := .Values.networks }}
    {{ $name | quote }}:
      chain-id: {{ required (printf "networks.%s.chainId is required" $name) (get $net "chainId") | int64 }}
      routing: {{ get $net "routing" | default "round-robin" | quote }}
      {{- if hasKey $net "finalityDepth" }}
      finality-depth: {{ get $net "finalityDepth" | int64 }}
      {{- end }}
      {{- if hasKey $net "broadcastTransactions" }}
      broadcast-transactions: {{ get $net "broadcastTransactions" }}
      {{- end }}
      {{- if hasKey $net "requireApiKey" }}
      require-api-key: {{ get $net "requireApiKey" }}
      {{- end }}
      {{- if hasKey $net "denyMethods" }}
      deny-methods: {{ get $net "denyMethods" | toJson }}
      {{- end }}
      {{- if hasKey $net "allowMethods" }}
      allow-methods: {{ get $net "allowMethods" | toJson }}
      {{- end }}
      upstreams:
        {{- range $upstreamName, $upstream := get $net "upstreams" | default dict }}
        {{ $upstreamName | quote }}:
          {{- if get $upstream "urlFromSecret" }}
          url: {{ include "railyard.secretRef" (get $upstream "urlFromSecret") | quote }}
          {{- else }}
          url: {{ required (printf "networks.%s.upstreams.%s: set url or urlFromSecret" $name $upstreamName) (get $upstream "url") | quote }}
          {{- end }}
          weight: {{ get $upstream "weight" | default 1 | int }}
          {{- $headers := get $upstream "headers" | default dict }}
          {{- $secretHeaders := get $upstream "headersFromSecret" | default dict }}
          {{- if or $headers $secretHeaders }}
          headers:
            {{- range $header, $value := $headers }}
            {{ $header | quote }}: {{ $value | quote }}
            {{- end }}
            {{- range $header, $entry := $secretHeaders }}
            {{ $header | quote }}: {{ include "railyard.secretRef" $entry | quote }}
            {{- end }}
          {{- end }}
        {{- end }}
    {{- end }}
  {{- end }}
  limits:
    max-body-bytes: {{ .Values.limits.maxBodyBytes | int64 }}
    max-batch-items: {{ .Values.limits.maxBatchItems | int64 }}
    max-nesting-depth: {{ .Values.limits.maxNestingDepth | int64 }}
    max-method-length: {{ .Values.limits.maxMethodLength | int64 }}
    max-in-flight: {{ .Values.limits.maxInFlight | int64 }}
    body-read-timeout: {{ .Values.limits.bodyReadTimeout | quote }}
    header-read-timeout: {{ .Values.limits.headerReadTimeout | quote }}
  forward:
    request-timeout: {{ .Values.forward.requestTimeout | quote }}
    try-timeout: {{ .Values.forward.tryTimeout | quote }}
    max-attempts: {{ .Values.forward.maxAttempts | int64 }}
    connections-per-upstream: {{ .Values.forward.connectionsPerUpstream | int64 }}
    max-response-bytes: {{ .Values.forward.maxResponseBytes | int64 }}
  health:
    interval: {{ .Values.health.interval | quote }}
    max-lag: {{ .Values.health.maxLag | int64 }}
    failures-to-eject: {{ .Values.health.failuresToEject | int64 }}
    successes-to-readmit: {{ .Values.health.successesToReadmit | int64 }}
    circuit-breaker:
      request-volume: {{ .Values.health.circuitBreaker.requestVolume | int64 }}
      failure-ratio: {{ .Values.health.circuitBreaker.failureRatio | toJson }}
      delay: {{ .Values.health.circuitBreaker.delay | quote }}
  cache:
    enabled: {{ .Values.cache.enabled }}
    {{- with .Values.cache.maxBytes }}
    max-bytes: {{ . | int64 }}
    {{- end }}
    {{- with .Values.cache.expireAfterWrite }}
    expire-after-write: {{ . | quote }}
    {{- end }}
  {{- with .Values.trustedProxies }}
  trusted-proxies:
    {{- range . }}
    - {{ . | quote }}
    {{- end }}
  {{- end }}
  {{- include "railyard.rateLimitYaml" . | nindent 2 }}
  {{- include "railyard.apiKeysYaml" . | nindent 2 }}
  access-log:
    enabled: {{ .Values.accessLog.enabled }}
    format: {{ .Values.accessLog.format | quote }}
  status:
    public: {{ .Values.status.public }}
  errors:
    expose-upstream-names: {{ .Values.errors.exposeUpstreamNames }}
quarkus:
  shutdown:
    # After SIGTERM: not ready but serving for the delay, then in-flight requests get the timeout to finish.
    delay: {{ printf "%ds" (.Values.drain.delaySeconds | int) | quote }}
    timeout: {{ printf "%ds" (.Values.drain.timeoutSeconds | int) | quote }}
  log:
    category:
      "io.railyard":
        level: {{ .Values.logLevel | quote }}
{{- end }}

{{/* railyard.rate-limit: the backend, the per-address limit, method costs and the Redis tier. */}}
{{- define "railyard.rateLimitYaml" -}}
{{- $rl := .Values.rateLimit }}
rate-limit:
  backend: {{ $rl.backend | quote }}
  per-ip:
    rate: {{ $rl.perIp.rate | toJson }}
    {{- with get $rl.perIp "burst" }}
    burst: {{ . | toJson }}
    {{- end }}
  {{- with $rl.methodCosts }}
  method-costs:
    {{- range $method, $cost := . }}
    {{ $method | quote }}: {{ $cost | int64 }}
    {{- end }}
  {{- end }}
  {{- if .Values.redis.addressFromSecret }}
  redis-url: {{ include "railyard.secretRef" .Values.redis.addressFromSecret | quote }}
  {{- else if .Values.redis.address }}
  redis-url: {{ .Values.redis.address | quote }}
  {{- else if eq $rl.backend "redis" }}
  {{- fail "rateLimit.backend is redis: set redis.address or redis.addressFromSecret" }}
  {{- end }}
  redis-failure-mode: {{ $rl.redisFailureMode | quote }}
  redis-timeout: {{ $rl.redisTimeout | quote }}
{{- end }}

{{/* railyard.api-keys: one entry per key; the key itself only as a ${SECRET_...} reference or as its SHA-256. */}}
{{- define "railyard.apiKeysYaml" -}}
{{- with .Values.apiKeys }}
api-keys:
  {{- range $name, $key := . }}
  {{ $name | quote }}:
    {{- if get $key "keyFromSecret" }}
    key: {{ include "railyard.secretRef" (get $key "keyFromSecret") | quote }}
    {{- else }}
    key-sha256: {{ required (printf "apiKeys.%s: set keyFromSecret or keySha256" $name) (get $key "keySha256") | lower | quote }}
    {{- end }}
    {{- if hasKey $key "rate" }}
    rate: {{ get $key "rate" | toJson }}
    {{- end }}
    {{- if hasKey $key "burst" }}
    burst: {{ get $key "burst" | toJson }}
    {{- end }}
    {{- with get $key "networks" }}
    networks: {{ toJson . }}
    {{- end }}
    {{- with get $key "allowMethods" }}
    allow-methods: {{ toJson . }}
    {{- end }}
    {{- with get $key "denyMethods" }}
    deny-methods: {{ toJson . }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The final application.yaml: the text above, with extraConfig deep-merged over it. */}}
{{- define "railyard.applicationYaml" -}}
{{- $config := include "railyard.applicationYamlText" . | fromYaml }}
{{- if hasKey $config "Error" }}
{{- fail (printf "rendering application.yaml failed: %s" (get $config "Error")) }}
{{- end }}
{{- $config = mustMergeOverwrite $config (deepCopy .Values.extraConfig) }}
{{- toYaml $config }}
{{- end }}
