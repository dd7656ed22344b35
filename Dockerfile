# The clusterset CoreDNS image, laid out like CoreDNS's own: one static
# binary with the file capability to bind port 53, the CA bundle, a numeric
# non-root user, nothing else.
#
# The build context is a staged directory, not the repository: `make image`
# writes a static (CGO_ENABLED=0) build of ./cmd/coredns with
# cap_net_bind_service=+ep set, and the host's CA bundle, into bin/image/,
# then runs
#
#   buildah --storage-driver vfs bud --isolation chroot \
#       --build-arg BASE=scratch -f Dockerfile -t clusterset-coredns:dev bin/image
#
# which needs no network and no image to pull. With network access the
# default base, distroless static nonroot (what CoreDNS ships on), works the
# same way with buildah or docker. No RUN step: the image builds from scratch
# with no shell and no package manager, as it runs.
ARG BASE=gcr.io/distroless/static-debian12:nonroot
FROM ${BASE}

# From the build context (bin/image/): scratch has no package manager to
# install them with, and distroless' own copy is replaced by the same file.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY coredns /coredns

# 65532 is distroless' "nonroot"; numeric so that Kubernetes' runAsNonRoot
# can verify it without /etc/passwd (scratch has none).
USER 65532:65532
WORKDIR /
EXPOSE 53 53/udp
ENTRYPOINT ["/coredns"]
CMD ["-conf", "/etc/coredns/Corefile"]
