# HAProxy from Debian's own packages (docs/deploy.md): the same haproxy the tests run.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends haproxy=2.6.* \
    && rm -rf /var/lib/apt/lists/*
COPY haproxy.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8443
CMD ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
