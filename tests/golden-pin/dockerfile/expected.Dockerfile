ARG BASE=node:20.11.1@sha256:9e977f5923cf0d836173685209a53830d631b285da28e51188336a07b61dd9d9
ARG TOOLS="alpine:1.0.0@sha256:c9ef5b1f0b442255774ae31a839ff48ce1206a606a97052db8b4a13ae153fb7c"
FROM ${BASE} AS build
COPY --from=busybox:1.36.1@sha256:4b0bf88b0b89e7db0c7cc80f6b4e4bf28c83c203aa37b5b56a9d0cfbdd6abb29 /bin/sh /bin/sh
RUN --mount=type=bind,from=$TOOLS,source=/etc,target=/x true
FROM build AS final
FROM --platform=$BUILDPLATFORM python:3.12.2-slim@sha256:96c309dd1c88aba173f38c476115fae7dc490629cb46b071bde3343afb8d1c79
