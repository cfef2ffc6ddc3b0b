#!/usr/bin/env python3
"""ES384 key, auth file and tokens for the trust checks. usage: jwt_make.py init | token AUD [json-overrides] [header-overrides]"""
import json, sys, time, base64, uuid, os
from cryptography.hazmat.primitives.asymmetric import ec, utils
from cryptography.hazmat.primitives import hashes, serialization
D = os.path.dirname(os.path.abspath(__file__))
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
if sys.argv[1] == "init":
    k = ec.generate_private_key(ec.SECP384R1())
    open(os.path.join(D, "jwt-key.pem"), "wb").write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    n = k.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-384", "kid": "k1", "use": "sig", "alg": "ES384", "x": b64(n.x.to_bytes(48, "big")), "y": b64(n.y.to_bytes(48, "big"))}
    json.dump({"publicBaseURL": "https://cds.example.org", "clients": [{"issuer": "https://ehr.example.org/", "jwks": {"keys": [jwk]}, "fhirServers": ["http://127.0.0.1:18654/fhir"]}]}, open(os.path.join(D, "auth.json"), "w"), indent=1)
    sys.exit()
k = serialization.load_pem_private_key(open(os.path.join(D, "jwt-key.pem"), "rb").read(), None)
now = int(time.time())
claims = {"iss": "https://ehr.example.org/", "sub": "client", "aud": sys.argv[2], "exp": now + 240, "iat": now, "jti": str(uuid.uuid4())}
hdr = {"alg": "ES384", "typ": "JWT", "kid": "k1"}
if len(sys.argv) > 3: claims.update(json.loads(sys.argv[3]))
if len(sys.argv) > 4: hdr.update(json.loads(sys.argv[4]))
hdr = {a: b for a, b in hdr.items() if b is not None}; claims = {a: b for a, b in claims.items() if b is not None}
si = b64(json.dumps(hdr).encode()) + "." + b64(json.dumps(claims).encode())
if hdr.get("alg") == "none": print(si + "."); sys.exit()
if hdr.get("alg") == "HS256":
    import hmac, hashlib; print(si + "." + b64(hmac.new(b"secret", si.encode(), hashlib.sha256).digest())); sys.exit()
r, s = utils.decode_dss_signature(k.sign(si.encode(), ec.ECDSA(hashes.SHA384())))
print(si + "." + b64(r.to_bytes(48, "big") + s.to_bytes(48, "big")))
