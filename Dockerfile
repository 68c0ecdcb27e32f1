# cohort in a container: the one static binary on a small base.
#
#   docker build -t cohort --build-arg VERSION=0.1.0 .      (or podman build)
#   docker run --rm -v "$PWD":/course:ro -v site:/srv -v cohort-data:/data -p 8090:8090 cohort
#
# compose.yaml runs two companions, PostgreSQL and Caddy with the site.

# Build: modernc.org/sqlite is pure Go, so CGO_ENABLED=0 gives a static
# binary that runs on any Linux base.
FROM golang:1.26-alpine AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X github.com/cohort-course/cohort/site.Version=${VERSION}" \
	-o /out/cohort ./cmd/cohort

# Run: Alpine for its CA certificates (the companion fetches over https) and
# busybox wget for health checks; time zones are embedded in the binary.
FROM alpine:3
RUN adduser -D -H -u 10001 -s /sbin/nologin cohort \
	&& mkdir -p /data /course /srv \
	&& chown cohort:cohort /data /srv
COPY --from=build /out/cohort /usr/local/bin/cohort
USER cohort
# The companion's database (SQLite) lives in /data unless
# COHORT_DATABASE_URL names a PostgreSQL server; `cohort build --out
# /srv/site` writes the site in /srv (the build stages files beside its
# output, so the volume is the folder above it).
VOLUME /data
EXPOSE 8090
HEALTHCHECK --interval=30s --timeout=3s CMD wget -q -O /dev/null http://127.0.0.1:8090/healthz || exit 1
ENTRYPOINT ["cohort"]
CMD ["companion", "--source", "/course", "--data", "/data", "--manifest", "/srv/site/lessons.json", \
	"--addr", "0.0.0.0:8090", "--log-format", "json"]
