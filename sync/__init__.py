"""The wire protocol of Smart Presensi: canonical bytes, records, the hash chain, receipts,
roster documents and their verification, plus the node's push/pull client.

Nothing here imports Flask: the node, central and independent verifiers all share this code.
"""
