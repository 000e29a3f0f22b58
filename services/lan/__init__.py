"""`posko run --lan`: the field app over HTTPS on the posko's own network (docs/operations.md,
"Field phones over HTTPS"). address.py finds the LAN address, site.py prepares the certificate and
the addresses phones use, pages.py serves the authority's certificate page, qr.py draws the QR codes,
serve.py runs the servers together."""
