# shellcheck shell=bash
# Sourced by the image build scripts: prints the extra CA certificates (PEM) the
# build stages trust, from KUBEPROOF_EXTRA_CA_FILE or the host's locally added
# CAs (/usr/local/share/ca-certificates/*.crt); nothing when there are none.
extra_ca_pem() {
  if [ -n "${KUBEPROOF_EXTRA_CA_FILE:-}" ]; then
    cat "$KUBEPROOF_EXTRA_CA_FILE"
  elif compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cat /usr/local/share/ca-certificates/*.crt
  fi
}
