# RFC 3501 §5.4 autologout after imap.timeout_authenticated of silence,
# also while idling: IDLE re-arms the timer when it starts (RFC 2177 §3:
# clients re-issue IDLE before the timeout), but an IDLE left alone
# longer than the timeout ends with BYE. The test shortens the timeout
# below RFC 3501's 30 minutes with imap.short_autologout.
!option imap.short_autologout=true
!option imap.timeout_authenticated=2
!option imap.idle_keepalive=60
S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C: a1 LOGIN demo secret
S: a1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# Re-issued IDLEs within the timeout keep the session alive past it.
C: a2 IDLE
S: + idling
!sleep 1.2
C: DONE
S: a2 OK IDLE terminated
C: a3 IDLE
S: + idling
!sleep 1.2
C: DONE
S: a3 OK IDLE terminated
C: a4 NOOP
S: a4 OK NOOP completed
# An IDLE left alone for longer than the timeout is logged out.
C: a5 IDLE
S: + idling
S: * BYE Autologout; idle for too long
!closed 1
# A silent session outside IDLE too.
!connect 2
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: b1 LOGIN demo secret
S2: b1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
S2: * BYE Autologout; idle for too long
!closed 2
