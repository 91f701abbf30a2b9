# ascolto: one static binary on a small base.
FROM golang:1.27.3 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ascolto ./cmd/ascolto

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates libtiff-tools \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/ascolto ascolto \
 && mkdir -p /var/lib/ascolto && chown ascolto /var/lib/ascolto
COPY --from=build /out/ascolto /usr/local/bin/ascolto
USER ascolto
ENV ASCOLTO_DATA_DIR=/var/lib/ascolto ASCOLTO_HTTP_ADDR=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["ascolto"]
CMD ["serve"]
