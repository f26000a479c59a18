# What a proxy identity gets of message content (issue 16, docs/xencrypted.md;
# draft-maes-lemonade-xencrypted-02 §2.2, §3.1): nothing in the clear. Before
# XKEY, FETCH of bodies, headers, previews and envelopes is NO [NOPERM];
# flags, UIDs, sizes and dates are not content. Its APPEND must be the
# device's encrypted literal. SEARCH by text, SORT by a header and THREAD
# would answer what messages say, so they too must come sealed (XSEALED).
# CONVERT and URLFETCH send content in the clear. An identity with
# clear-envelope gets ENVELOPE and BODYSTRUCTURE, not bodies.
!user alice secret
!proxy alice phone relay-pw
!proxy alice router route-pw clear-envelope
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: u1 LOGIN alice secret
S2: u1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: u2 APPEND INBOX (\Seen) {37+}
C2: Subject: secret plans
C2: 
C2: meet at dawn
S2: u2 OK [APPENDUID ${uv} 1] APPEND completed
C2: u3 LOGOUT
S2: * BYE Lemonade logging out
S2: u3 OK LOGOUT completed
!closed 2
C: a1 LOGIN alice+phone relay-pw
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a2 APPEND INBOX {5+}
C: hello
S: a2 NO [NOPERM] APPEND from this proxy identity must carry the client's encrypted literals (~{X<n>}), or come sealed (it needs the clear-content allowance)
C: a3 EXAMINE INBOX
S: * 1 EXISTS
S: * 1 RECENT
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 2] Predicted next UID
S: * OK [HIGHESTMODSEQ 2] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S: a3 OK [READ-ONLY] EXAMINE completed
C: a4 FETCH 1 (UID FLAGS RFC822.SIZE)
S: * 1 FETCH (UID 1 FLAGS (\Seen \Recent) RFC822.SIZE 37)
S: a4 OK FETCH completed
C: a5 FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]
S: a5 NO [NOPERM] FETCH would send message content in the clear to this proxy identity (XKEY first: it is then sent encrypted) (it needs the clear-content allowance)
C: a6 FETCH 1 ENVELOPE
S: a6 NO [NOPERM] FETCH would send message content in the clear to this proxy identity (XKEY first: it is then sent encrypted) (it needs the clear-envelope allowance)
C: a7 UID FETCH 1 PREVIEW
S: a7 NO [NOPERM] UID FETCH would send message content in the clear to this proxy identity (XKEY first: it is then sent encrypted) (it needs the clear-content allowance)
C: a8 SEARCH SUBJECT secret
S: a8 NO [NOPERM] SEARCH would tell this proxy identity what messages say (seal it: XSEALED) (it needs the clear-content allowance)
C: a9 SEARCH OR SEEN NOT BODY dawn
S: a9 NO [NOPERM] SEARCH would tell this proxy identity what messages say (seal it: XSEALED) (it needs the clear-content allowance)
C: b1 SEARCH SEEN SINCE 1-Jan-2000 LARGER 10
S: * SEARCH 1
S: b1 OK SEARCH completed
C: b2 UID SORT (SUBJECT) UTF-8 ALL
S: b2 NO [NOPERM] UID SORT would tell this proxy identity what messages say (seal it: XSEALED) (it needs the clear-content allowance)
C: b3 SORT (REVERSE ARRIVAL) UTF-8 ALL
S: * SORT 1
S: b3 OK SORT completed
C: b4 THREAD REFERENCES UTF-8 ALL
S: b4 NO [NOPERM] THREAD would tell this proxy identity what messages say (seal it: XSEALED) (it needs the clear-content allowance)
C: b5 CONVERT 1 ("text/plain" ("charset" "utf-8")) BINARY[1]
S: b5 NO [NOPERM] CONVERT would send message content in the clear to this proxy identity (it needs the clear-content allowance)
C: b6 NOTIFY SET (SELECTED (MessageNew (UID BODY.PEEK[]) MessageExpunge))
S: b6 NO [NOPERM] NOTIFY would send message content in the clear to this proxy identity (XKEY first: it is then sent encrypted) (it needs the clear-content allowance)
C: b7 XKEY 0123456789abcdef 00112233445566778899aabbccddeeff
S: b7 NO [NOPERM] No key in use with that id
C: b8 XKEY 0123456789abcdef 0011
S: b8 BAD XKEY: the client nonce must be 32 hex digits
C: b9 XSEALED ~{X3+}
C: abc
S: b9 NO [NOPERM] XSEALED needs XKEY first
C: c1 XSEALED {3+}
C: abc
S: c1 BAD XSEALED: XSEALED takes an encrypted literal ~{X<n>}
C: c2 LOGOUT
S: * BYE Lemonade logging out
S: c2 OK LOGOUT completed
!closed 1
# clear-envelope: the structure items, still not the bodies.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: e1 LOGIN alice+router route-pw
S3: e1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C3: e2 EXAMINE INBOX
S3: * 1 EXISTS
S3: * 1 RECENT
S3: * OK [UIDVALIDITY ${uv}] UIDs valid
S3: * OK [UIDNEXT 2] Predicted next UID
S3: * OK [HIGHESTMODSEQ 2] Highest
S3: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S3: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S3: e2 OK [READ-ONLY] EXAMINE completed
C3: e3 FETCH 1 (ENVELOPE)
S3: * 1 FETCH (ENVELOPE (NIL "secret plans" NIL NIL NIL NIL NIL NIL NIL NIL))
S3: e3 OK FETCH completed
C3: e4 FETCH 1 (ENVELOPE BODY.PEEK[TEXT])
S3: e4 NO [NOPERM] FETCH would send message content in the clear to this proxy identity (XKEY first: it is then sent encrypted) (it needs the clear-content allowance)
C3: e5 LOGOUT
S3: * BYE Lemonade logging out
S3: e5 OK LOGOUT completed
!closed 3
