# RFC 4731 ESEARCH: SEARCH RETURN (MIN MAX ALL COUNT), results as compact
# sets, UID in UID SEARCH, MODSEQ with CONDSTORE (RFC 7162 §3.1.10);
# RFC 5182 SEARCHRES: RETURN (SAVE) and "$" in FETCH, STORE, COPY, SEARCH and
# UID EXPUNGE. The commands follow the RFCs' examples.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX (\Flagged) "01-Mar-1994 00:00:00 +0000" {29+}
C: From: Smith <s@x.example>
C: 
C:  (\Flagged) "02-Mar-1994 00:00:00 +0000" {27+}
C: From: Jones <j@x.example>
C:  "03-Mar-1994 00:00:00 +0000" {27+}
C: From: Jones <j@x.example>
C:  (\Flagged) "04-Jan-1994 00:00:00 +0000" {27+}
C: From: Brown <b@x.example>
C:  (\Flagged) "05-Mar-1994 00:00:00 +0000" {27+}
C: From: Brown <b@x.example>
C:  (\Flagged \Seen) "06-Mar-1994 00:00:00 +0000" {27+}
C: From: Green <g@x.example>
C: 
S: a1 OK [APPENDUID ${uv} 1:6] APPEND completed
C: a2 SELECT INBOX
S: * 6 EXISTS
S: * 6 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 7] Predicted next UID
S: * OK [HIGHESTMODSEQ 7] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
# RFC 4731 §3.1 examples: the flagged messages since 1-Feb-1994 not from
# Smith are 2, 5 and 6.
C: A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
S: * ESEARCH (TAG "A282") MIN 2 COUNT 3
S: A282 OK SEARCH completed
C: A283 SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
S: * ESEARCH (TAG "A283") ALL 2,5:6
S: A283 OK SEARCH completed
C: A284 SEARCH RETURN (MIN MAX ALL COUNT) FLAGGED
S: * ESEARCH (TAG "A284") MIN 1 MAX 6 ALL 1:2,4:6 COUNT 5
S: A284 OK SEARCH completed
C: A285 UID SEARCH RETURN (MIN MAX) 1:5000
S: * ESEARCH (TAG "A285") UID MIN 1 MAX 6
S: A285 OK UID SEARCH completed
# Nothing found: MIN, MAX and ALL are left out, COUNT is 0.
C: A286 SEARCH RETURN (MIN MAX ALL COUNT) FROM "nobody"
S: * ESEARCH (TAG "A286") COUNT 0
S: A286 OK SEARCH completed
C: A287 UID SEARCH RETURN (ALL) FROM "nobody"
S: * ESEARCH (TAG "A287") UID
S: A287 OK UID SEARCH completed
C: A288 SEARCH RETURN (FIRST) ALL
S: A288 BAD SEARCH: unknown SEARCH return option FIRST
C: A289 SEARCH RETURN (COUNT) CHARSET UTF-8 FROM "Jones"
S: * ESEARCH (TAG "A289") COUNT 2
S: A289 OK SEARCH completed
# RFC 7162 §3.1.10: MODSEQ of the messages returned.
# It is the first CONDSTORE enabling command with a mailbox selected:
# §3.1 "MUST cause the server to return HIGHESTMODSEQ".
C: A290 SEARCH RETURN (MAX) MODSEQ 3
S: * ESEARCH (TAG "A290") MAX 6 MODSEQ 7
S: * OK [HIGHESTMODSEQ 7] Highest
S: A290 OK SEARCH completed
# RFC 5182 §2.4: SAVE alone returns no ESEARCH; "$" is then the result.
C: A301 SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"
S: A301 OK SEARCH completed
C: A302 FETCH $ (UID FLAGS)
S: * 2 FETCH (UID 2 FLAGS (\Flagged \Recent))
S: * 5 FETCH (UID 5 FLAGS (\Flagged \Recent))
S: * 6 FETCH (UID 6 FLAGS (\Flagged \Seen \Recent))
S: A302 OK FETCH completed
C: A303 UID SEARCH UID $ SEEN
S: * SEARCH 6
S: A303 OK UID SEARCH completed
C: A304 COPY $ Trash
S: A304 OK [COPYUID ${uvt} 2,5:6 1:3] COPY completed
# SAVE with MIN and MAX keeps only those two; "$" in the SEARCH itself is
# the result saved before.
C: A305 SEARCH RETURN (SAVE MIN MAX) $
S: * ESEARCH (TAG "A305") MIN 2 MAX 6
S: A305 OK SEARCH completed
C: A306 SEARCH $
S: * SEARCH 2 6
S: A306 OK SEARCH completed
# (SEARCH MODSEQ enabled CONDSTORE: .SILENT still reports MODSEQs.)
C: A307 STORE $ +FLAGS.SILENT (\Deleted)
S: * 2 FETCH (UID 2 MODSEQ (8))
S: * 6 FETCH (UID 6 MODSEQ (8))
S: A307 OK STORE completed
C: A308 UID EXPUNGE $
S: * 6 EXPUNGE
S: * 2 EXPUNGE
S: * 4 RECENT
S: * OK [HIGHESTMODSEQ 9] Highest
S: A308 OK UID EXPUNGE completed
# Expunged messages leave "$".
C: A309 SEARCH $
S: * SEARCH
S: A309 OK SEARCH completed
# A failed SEARCH with SAVE leaves "$" empty.
C: A310 SEARCH RETURN (SAVE) ALL
S: A310 OK SEARCH completed
C: A311 SEARCH RETURN (SAVE) CHARSET X-NOSUCH FROM "x"
S: A311 NO [BADCHARSET (US-ASCII UTF-8)] Unsupported charset X-NOSUCH
C: A312 FETCH $ UID
S: A312 OK FETCH completed
# A new selection starts with "$" empty.
C: A313 SEARCH RETURN (SAVE) ALL
S: A313 OK SEARCH completed
C: A314 SELECT INBOX
S: * OK [CLOSED] Previous mailbox closed
S: * 4 EXISTS
S: * 0 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 7] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: A314 OK [READ-WRITE] SELECT completed
C: A315 UID FETCH $ UID
S: A315 OK UID FETCH completed
