# RFC 3501 §6.2.2 AUTHENTICATE (RFC 4959 SASL-IR, RFC 4616 PLAIN),
# §6.2.3 LOGIN, and state rules.
!user alice wonderland
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 SELECT INBOX
S: a1 BAD SELECT is not allowed in this state
C: a2 LOGIN alice wrong
S: a2 NO [AUTHENTICATIONFAILED] Authentication failed
C: a3 LOGIN nobody secret
S: a3 NO [AUTHENTICATIONFAILED] Authentication failed
# Quoted strings and literals are both astrings (RFC 3501 §9).
C: a4 LOGIN "alice" {10}
S: + Ready for literal data
C: wonderland
S: a4 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE] Logged in
C: a5 LOGIN alice wonderland
S: a5 BAD LOGIN is not allowed in this state
C: a6 LOGOUT
S: * BYE Lemonade logging out
S: a6 OK LOGOUT completed
!closed 1
# RFC 4959 §3: initial response in the command ("\0alice\0wonderland").
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE] Logged in
# Without SASL-IR: an empty challenge, then the response.
!connect 3
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: c1 AUTHENTICATE PLAIN
S3: + 
C3: AGFsaWNlAHdyb25n
S3: c1 NO [AUTHENTICATIONFAILED] Authentication failed
# RFC 3501 §6.2.2: "*" cancels the exchange with a BAD.
C3: c2 AUTHENTICATE PLAIN
S3: + 
C3: *
S3: c2 BAD Authentication cancelled
C3: c3 AUTHENTICATE PLAIN
S3: + 
C3: not base64!
S3: c3 BAD Invalid base64 in authentication response
C3: c4 AUTHENTICATE KERBEROS_V5
S3: c4 NO [CANNOT] Unsupported authentication mechanism
C3: c5 AUTHENTICATE PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=
S3: c5 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE] Logged in
