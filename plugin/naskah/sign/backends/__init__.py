"""Where a signature's key is: a PKCS#12 file or a PKCS#11 token in this process (:mod:`.keys`), the remote BSrE
signing service (:mod:`.bsre`), or the demo key made on first use when a profile names none (:mod:`.demo_key`).

Nothing is imported here: the signing profile needs the demo key, and the key sources need the profile."""
