# RFC 4467 URLAUTH: GENURLAUTH mints a URL whose token is an HMAC under
# the mailbox's access key; URLFETCH redeems it for the identities its
# access names (submit+ only for imap.urlauth_submit_users) and answers NIL
# for anything else; RESETKEY makes the old URLs fail (§7). RFC 5524
# URLFETCH metadata (URLAUTH=BINARY) and ;PARTIAL= (URL-PARTIAL) too.
!user demo secret
!user submitter s3cret
!user other 0ther
!option imap.urlauth_submit_users=submitter
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {268+}
C: From: joe@example.com
C: Subject: forward this
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="z"
C: 
C: --z
C: Content-Type: text/plain
C: 
C: Si vis pacem, para bellum.
C: --z
C: Content-Type: application/octet-stream
C: Content-Transfer-Encoding: base64
C: 
C: AAEC
C: --z--
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
# §7.2 examples: a rump without access identifier or owner is BAD.
C: a2 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1" INTERNAL
S: a2 BAD missing access identifier in supplied URL
C: a3 GENURLAUTH "imap://localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo" INTERNAL
S: a3 BAD missing owner username in supplied URL
C: a4 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo" XSAMPLE
S: a4 BAD Unknown URLAUTH mechanism XSAMPLE
C: a5 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo" INTERNAL "imap://demo@localhost/INBOX/;uid=1/;PARTIAL=0.4;urlauth=anonymous" INTERNAL
S: * GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" "imap://demo@localhost/INBOX/;uid=1/;PARTIAL=0.4;urlauth=anonymous:INTERNAL:${anon}"
S: a5 OK GENURLAUTH completed
C: a6 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1;expire=2001-01-01T00:00:00Z;urlauth=anonymous" INTERNAL
S: * GENURLAUTH "imap://demo@localhost/INBOX/;uid=1;expire=2001-01-01T00:00:00Z;urlauth=anonymous:INTERNAL:${old}"
S: a6 OK GENURLAUTH completed
C: a7 GENURLAUTH "imap://demo@localhost/Nosuch/;uid=1;urlauth=anonymous" INTERNAL
S: a7 NO [NONEXISTENT] Mailbox does not exist
# Another user's mailbox: OK, with a token that never validates (§7.2).
C: a8 GENURLAUTH "imap://other@localhost/INBOX/;uid=1;urlauth=anonymous" INTERNAL
S: * GENURLAUTH "imap://other@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${fake}"
S: a8 OK GENURLAUTH completed
# The submission server's identity fetches the part (§7.3 example).
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b0 LOGIN submitter s3cret
S2: b0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: b1 URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}"
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" {26}Si vis pacem, para bellum.
S2: b1 OK URLFETCH completed
# NIL for: a forged token, a token for another UID or section, an expired
# URL, a URL without URLAUTH, a whole mailbox, another server, the fake.
C2: b2 URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:0000000000000000000000000000000000000000000000000000000000000000" "imap://demo@localhost/INBOX/;uid=2/;section=1;urlauth=submit+demo:INTERNAL:${tok}" "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=submit+demo:INTERNAL:${tok}" "imap://demo@localhost/INBOX/;uid=1;expire=2001-01-01T00:00:00Z;urlauth=anonymous:INTERNAL:${old}" "imap://demo@localhost/INBOX/;uid=1/;section=1" "imap://demo@localhost/INBOX" "imap://demo@mail.example.org/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" "imap://other@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${fake}"
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:0000000000000000000000000000000000000000000000000000000000000000" NIL "imap://demo@localhost/INBOX/;uid=2/;section=1;urlauth=submit+demo:INTERNAL:${tok}" NIL "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=submit+demo:INTERNAL:${tok}" NIL "imap://demo@localhost/INBOX/;uid=1;expire=2001-01-01T00:00:00Z;urlauth=anonymous:INTERNAL:${old}" NIL "imap://demo@localhost/INBOX/;uid=1/;section=1" NIL "imap://demo@localhost/INBOX" NIL "imap://demo@mail.example.org/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" NIL "imap://other@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${fake}" NIL
S2: b2 OK URLFETCH completed
# anonymous with PARTIAL: anyone; octets 0-3 of the message.
C2: b3 URLFETCH "imap://demo@localhost/INBOX/;uid=1/;PARTIAL=0.4;urlauth=anonymous:INTERNAL:${anon}"
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;PARTIAL=0.4;urlauth=anonymous:INTERNAL:${anon}" {4}From
S2: b3 OK URLFETCH completed
# submit+demo is not for a user outside imap.urlauth_submit_users.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: c0 LOGIN other 0ther
S3: c0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: c1 URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}"
S3: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" NIL
S3: c1 OK URLFETCH completed
# RFC 5524 URLFETCH with metadata: BINARY decodes (literal8 for the NULs),
# BODYPARTSTRUCTURE reflects the decoding, BODY is the data as stored.
C: a20 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous" INTERNAL
S: * GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}"
S: a20 OK GENURLAUTH completed
C2: b10 URLFETCH ("imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" BINARY BODYPARTSTRUCTURE)
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" (BODYPARTSTRUCTURE ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BINARY" 3)) (BINARY ~{3}\0)
S2: b10 OK URLFETCH completed
C2: b11 URLFETCH ("imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" BODYPARTSTRUCTURE BODY) ("imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}") ("imap://demo@localhost/INBOX/;uid=1/;section=9;urlauth=anonymous:INTERNAL:${bin}" BODY)
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" (BODYPARTSTRUCTURE ("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 4)) (BODY {4}AAEC) "imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" {4}AAEC "imap://demo@localhost/INBOX/;uid=1/;section=9;urlauth=anonymous:INTERNAL:${bin}" NIL
S2: b11 OK URLFETCH completed
C2: b12 URLFETCH ("imap://demo@localhost/INBOX/;uid=1/;section=2;urlauth=anonymous:INTERNAL:${bin}" BODY BINARY)
S2: b12 BAD URLFETCH: BODY and BINARY for one URL
# RESETKEY: the URLs made before stop working (§7.1).
C: a9 RESETKEY INBOX
S: a9 OK [URLMECH INTERNAL] Key reset
C2: b4 URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}"
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok}" NIL
S2: b4 OK URLFETCH completed
C: a10 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo" INTERNAL
S: * GENURLAUTH "imap://demo@localhost/INBOX/;uid=1/;section=1;urlauth=submit+demo:INTERNAL:${tok2}"
S: a10 OK GENURLAUTH completed
!differ tok tok2
C: a11 RESETKEY
S: a11 OK All keys removed
C: a12 RESETKEY INBOX XSAMPLE
S: a12 BAD Unknown URLAUTH mechanism XSAMPLE
C: a13 RESETKEY Nosuch
S: a13 NO [NONEXISTENT] Mailbox does not exist
# A message expunged is NIL at once, even while a session that has not
# been told of the expunge may still FETCH it (RFC 3501 §7.4.1).
!connect 4
S4: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C4: d0 LOGIN demo secret
S4: d0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C4: d1 EXAMINE INBOX
S4: * 1 EXISTS
S4: * 1 RECENT
S4: * OK [UNSEEN 1] Message 1 is first unseen
S4: * OK [UIDVALIDITY ${uv}] UIDs valid
S4: * OK [UIDNEXT 2] Predicted next UID
S4: * OK [HIGHESTMODSEQ ${h4}] Highest
S4: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S4: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S4: d1 OK [READ-ONLY] EXAMINE completed
C: a30 GENURLAUTH "imap://demo@localhost/INBOX/;uid=1;urlauth=anonymous" INTERNAL
S: * GENURLAUTH "imap://demo@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${whole}"
S: a30 OK GENURLAUTH completed
C: a31 SELECT INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ ${h5}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a31 OK [READ-WRITE] SELECT completed
C: a32 STORE 1 +FLAGS.SILENT (\Deleted)
S: a32 OK STORE completed
C: a33 EXPUNGE
S: * 1 EXPUNGE
S: * 0 RECENT
S: a33 OK EXPUNGE completed
C4: d2 FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]
S4: * 1 FETCH (BODY[HEADER.FIELDS (Subject)] {25}Subject: forward this\r\n\r\n)
S4: * 1 FETCH (FLAGS (\Deleted \Recent) UID 1)
S4: d2 OK FETCH completed
C2: b20 URLFETCH "imap://demo@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${whole}"
S2: * URLFETCH "imap://demo@localhost/INBOX/;uid=1;urlauth=anonymous:INTERNAL:${whole}" NIL
S2: b20 OK URLFETCH completed
