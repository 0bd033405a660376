# syntax=docker/dockerfile:1
#
# tickwire server image: a static binary on distroless, running as non-root.
#
#   docker build -t tickwire:dev .
#   docker run --rm -p 8080:8080 tickwire:dev
#
# Every flag can be set as TICKWIRE_<FLAG> (see `tickwire -h`); the image
# listens on all interfaces because a container's loopback is its own.

# Build stage: the Go version go.mod asks for.
FROM golang:1.26-bookworm AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# CGO off: a fully static binary that runs on an image with no libc.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" \
        -o /out/tickwire ./server/cmd/tickwire

# Runtime stage: no shell, no package manager; uid 65532 ("nonroot").
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/tickwire /tickwire
USER nonroot:nonroot
ENV TICKWIRE_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/tickwire"]
