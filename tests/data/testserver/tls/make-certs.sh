#!/bin/sh
# Re-creates the self-signed test CA and the server certificate (SAN DNS abs-test, IP 127.0.0.1)
# used by the test server's TLS tests. Validity 100 years; keys are test-only, never secret.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=abs-test-ca" \
  -keyout ca.key -out ca.pem
openssl req -newkey rsa:2048 -nodes -subj "/CN=abs-test" -keyout server.key -out server.csr
printf 'subjectAltName=DNS:abs-test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 36500 \
  -extfile server.ext -out server.pem
rm -f server.csr server.ext ca.srl
