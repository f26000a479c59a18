# RFC 8970 PREVIEW: §5's examples on three messages (text with a quote
# and a signature, an image only, HTML), PREVIEW (LAZY) (§4.1), the
# preview with SEARCHRES (§5 example 3). Previews are made at APPEND, so
# LAZY answers them too.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {99+}
C: Subject: lunch
C: 
C: Lorem ipsum dolor sit amet,
C: consectetur adipiscing elit.
C: 
C: > quoted
C: -- 
C: sig
C:  {90+}
C: Subject: pic
C: Content-Type: image/png
C: Content-Transfer-Encoding: base64
C: 
C: iVBORw0KGgo=
C:  {149+}
C: Subject: news
C: Content-Type: text/html; charset=utf-8
C: 
C: <html><head><style>p{}</style></head><body><p>Big&nbsp;<b>sale</b> today</p></body></html>
C: 
S: a1 OK [APPENDUID ${uv} 1:3] APPEND completed
C: a2 SELECT INBOX
S: * 3 EXISTS
S: * 3 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 4] Predicted next UID
S: * OK [HIGHESTMODSEQ 4] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a2 OK [READ-WRITE] SELECT completed
# Example 1.
C: A2 FETCH 1 (RFC822.SIZE PREVIEW)
S: * 1 FETCH (RFC822.SIZE ${size} PREVIEW "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
S: A2 OK FETCH completed
# §3.2: no text to show is a zero-length string, never NIL without LAZY.
C: A3 FETCH 2:3 (PREVIEW)
S: * 2 FETCH (PREVIEW "")
S: * 3 FETCH (PREVIEW "Big sale today")
S: A3 OK FETCH completed
# Example 2 (PREVIEW before or after other items, with LAZY).
C: B1 FETCH 1:3 (UID PREVIEW (LAZY))
S: * 1 FETCH (UID 1 PREVIEW "Lorem ipsum dolor sit amet, consectetur adipiscing elit.")
S: * 2 FETCH (UID 2 PREVIEW "")
S: * 3 FETCH (UID 3 PREVIEW "Big sale today")
S: B1 OK FETCH completed
# Example 3: with SEARCHRES.
C: C2 SEARCH RETURN (SAVE) SUBJECT news
S: C2 OK SEARCH completed
C: C3 FETCH $ (UID PREVIEW (LAZY))
S: * 3 FETCH (UID 3 PREVIEW "Big sale today")
S: C3 OK FETCH completed
# A "(" after PREVIEW that is not its own: FETCH's modifiers.
C: C4 UID FETCH 1 PREVIEW (CHANGEDSINCE 1)
S: * 1 FETCH (UID 1 PREVIEW "Lorem ipsum dolor sit amet, consectetur adipiscing elit." MODSEQ (${ms}))
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: C4 OK UID FETCH completed
C: C5 FETCH 1 (PREVIEW (EAGER))
S: C5 BAD FETCH: expected an atom
