# RFC 3516 BINARY: FETCH BINARY[part]<partial>, BINARY.PEEK and BINARY.SIZE
# decode base64 and quoted-printable (sizes are of the decoded data), data
# with a NUL goes as literal8 ("~{n}", §4.3), an unknown transfer encoding
# is NO [UNKNOWN-CTE], section-binary takes part numbers only (§7), and
# APPEND takes literal8 (§4.4; RFC 5550 §5.2 says a Lemonade server always
# accepts it): a part holding NULs is stored as base64, losing nothing.
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a0 LOGIN demo secret
S: a0 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C: a1 APPEND INBOX {399+}
C: From: a@b.example
C: Subject: bin
C: MIME-Version: 1.0
C: Content-Type: multipart/mixed; boundary="xx"
C: 
C: --xx
C: Content-Type: text/plain; charset=utf-8
C: Content-Transfer-Encoding: quoted-printable
C: 
C: caf=C3=A9 =3D ok=
C: !
C: --xx
C: Content-Type: application/octet-stream
C: Content-Transfer-Encoding: base64
C: 
C: AEFC
C: --xx
C: Content-Type: text/plain
C: Content-Transfer-Encoding: x-uuencode
C: 
C: begin 644 x
C: --xx--
C: 
S: a1 OK [APPENDUID ${uv} 1] APPEND completed
# literal8 with NUL octets in a binary body part.
!raw 1 b'a2 APPEND INBOX ~{239+}\r\n' + b'From: a@b.example\r\nSubject: nul\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="yy"\r\n\r\n--yy\r\nContent-Type: text/plain\r\n\r\nhello\r\n--yy\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00xy\x00z\r\n--yy--\r\n' + b'\r\n'
S: a2 OK [APPENDUID ${uv} 2] APPEND completed
# A NUL in a header cannot be carried by any encoding.
!raw 1 b'a3 APPEND INBOX ~{48+}\r\n' + b'From: a@b.example\r\nSubject: bad\x00header\r\n\r\nbody\r\n' + b'\r\n'
S: a3 NO [UNKNOWN-CTE] A NUL octet outside any body part cannot be stored
C: a4 SELECT INBOX
S: * 2 EXISTS
S: * 2 RECENT
S: * OK [UNSEEN 1] Message 1 is first unseen
S: * OK [UIDVALIDITY ${uv}] UIDs valid
S: * OK [UIDNEXT 3] Predicted next UID
S: * OK [HIGHESTMODSEQ ${hms}] Highest
S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S: * OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted
S: a4 OK [READ-WRITE] SELECT completed
# Quoted-printable decoded (soft line break, =3D, UTF-8 octets); base64
# decoded to data with a NUL: literal8; a partial counts decoded octets.
C: a5 FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<1.2>)
S: * 1 FETCH (BINARY[1] {11}café = ok! BINARY.SIZE[1] 11 BINARY[2] ~{3}\0AB BINARY.SIZE[2] 3 BINARY[2]<1> {2}AB)
S: a5 OK FETCH completed
C: a6 FETCH 1 BINARY.PEEK[3]
S: a6 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding
C: a7 FETCH 1 BINARY.SIZE[3]
S: a7 NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding
# section-binary = "[" [section-part] "]": no MIME, HEADER or TEXT.
C: a8 FETCH 1 BINARY.PEEK[1.MIME]
S: a8 BAD FETCH: expected a number
C: a9 FETCH 1 BINARY.PEEK[TEXT]
S: a9 BAD FETCH: expected a number
# A part that does not exist: NIL, and a size of 0.
C: a10 FETCH 1 (BINARY.PEEK[9] BINARY.SIZE[9])
S: * 1 FETCH (BINARY[9] NIL BINARY.SIZE[9] 0)
S: a10 OK FETCH completed
# BINARY (not .PEEK) sets \Seen, as BODY[] does.
C: a11 FETCH 1 BINARY[1]
S: * 1 FETCH (BINARY[1] {11}café = ok! FLAGS (\Seen \Recent))
S: a11 OK FETCH completed
# The literal8 message: BODY[2] and BODYSTRUCTURE see base64, BINARY[2]
# gives back the octets appended.
C: a12 FETCH 2 (BODY.PEEK[2] BINARY.PEEK[2] BINARY.SIZE[2] BODYSTRUCTURE)
S: * 2 FETCH (BODY[2] {8}AHh5AHo= BINARY[2] ~{5}\0xy\0z BINARY.SIZE[2] 5 BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 5 1 NIL NIL NIL NIL)("APPLICATION" "OCTET-STREAM" NIL NIL NIL "BASE64" 8 NIL NIL NIL NIL) "MIXED" ("BOUNDARY" "yy") NIL NIL NIL))
S: a12 OK FETCH completed
# BINARY[] is the whole message as stored.
C: a13 FETCH 2 BINARY.PEEK[]
S: * 2 FETCH (BINARY[] {242}From: a@b.example\r\nSubject: nul\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="yy"\r\n\r\n--yy\r\nContent-Type: text/plain\r\n\r\nhello\r\n--yy\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAHh5AHo=\r\n--yy--\r\n)
S: a13 OK FETCH completed
C: a14 LOGOUT
S: * BYE Lemonade logging out
S: a14 OK LOGOUT completed
