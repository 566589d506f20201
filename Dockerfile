# launchgate: a static binary in a distroless image, run as a non-root user,
# with no shell. Build with:
#   docker build --build-arg VERSION=$(git describe --tags --always) -t launchgate .

FROM golang:1.26 AS build
# go1.26.10 fixes standard-library vulnerabilities that a web server reaches
# (net/http, crypto/tls). The golang:1.26 image may carry an older 1.26.x;
# GOTOOLCHAIN makes the go command fetch and use exactly go1.26.10.
ENV GOTOOLCHAIN=go1.26.10 CGO_ENABLED=0
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN go build -trimpath \
      -ldflags "-s -w -X github.com/launchgate/launchgate/internal/version.stamped=${VERSION}" \
      -o /out/launchgate ./cmd/launchgate \
 && /out/launchgate version

# distroless/static: CA certificates and tzdata, no shell, no package manager.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/launchgate /launchgate
# 65532 is distroless' "nonroot"; numeric so that Kubernetes' runAsNonRoot
# can verify it.
USER 65532:65532
# 8080: webhooks, the records key and the pages; 9090: /metrics and the
# probes (server.internal_address), which the Ingress never reaches.
EXPOSE 8080 9090
# The command is the CMD, not part of the ENTRYPOINT, so that Kubernetes'
# `args` (deploy/base/deployment.yaml) replaces it instead of being appended
# to it, and `docker run IMAGE version` or `demo` work.
ENTRYPOINT ["/launchgate"]
CMD ["serve", "--config", "/etc/launchgate/config.yml"]
