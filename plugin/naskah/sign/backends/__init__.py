"""Where a signature's key is: a PKCS#12 file or a PKCS#11 token in this process (:mod:`.keys`), the remote BSrE
signing service (:mod:`.bsre`, speaking API v1 through :mod:`.bsre_v1` and v2 through :mod:`.bsre_v2`, sharing
:mod:`.bsre_http`), or the demo key made on first use when a profile names none (:mod:`.demo_key`).

Nothing is imported here: the signing profile needs the demo key, and the key sources need the profile."""
