# RFC 4468 BURL and RFC 5550 §8.4, the whole forward without download:
# §8.4.1 builds the forward with CATENATE on the IMAP side, mints a
# submit+ URL with GENURLAUTH, and submits it with "BURL ... LAST"; the
# submission server fetches it with URLFETCH over our IMAP client, logged
# in as submission.burl_user. §8.4.2 sends new text with BDAT and the
# stored attachment (its MIME header and body) with two BURLs. Refusals of
# RFC 4468 §3.2, §3.3 and §6: BURL before RCPT (nothing fetched), a URL for
# another user's submit+, a host this server does not trust, a forged
# token (URLFETCH answers NIL); a failed BURL fails the transaction. The
# recipient then finds both messages. EHLO shows bare "BURL" before AUTH
# and "BURL imap" after (§3.1 item 3).
!protocol submission
!user bob.ar accio
!user foo foopw
!user submitserver secret
!option server.hostname=example.org
!option server.domains=["example.org"]
!option imap.urlauth_submit_users=submitserver
!option submission.burl_user=submitserver
!option submission.burl_password=secret
S: 220 example.org ESMTP Lemonade
!connect 2 plain imap
S2: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C2: A0050 LOGIN bob.ar accio
S2: A0050 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
C2: A0001 APPEND INBOX {564+}
C2: From: Travel Agent <agent@example.com>
C2: To: bob.ar@example.org
C2: Subject: Your trip
C2: MIME-Version: 1.0
C2: Content-Type: multipart/mixed; boundary="t"
C2: 
C2: --t
C2: Content-Type: text/plain; charset=US-ASCII
C2: 
C2: Please find your updated trip details attached.
C2: --t
C2: Content-Type: text/plain; charset=US-ASCII; name="trip.txt"
C2: Content-ID: <960723163407.20117h@washington.example.com>
C2: Content-Description: Your trip details
C2: Content-Transfer-Encoding: base64
C2: 
C2: RmxpZ2h0IExIIDQ1NiwgMjggT2N0b2JlciAyMDA2LCAwODoxNSBaUkggLT4gTEhSDQpIb3RlbDogU3RyYW5kLCB0d28gbmlnaHRzDQo=
C2: --t--
C2: 
S2: A0001 OK [APPENDUID ${inbox} 1] APPEND completed
C2: A0052 APPEND Sent (\Draft \Seen $MDNSent) CATENATE (TEXT {474}
S2: + Ready for literal data
C2: Message-ID: <419399E1.6000505@caernarfon.example.org>
C2: Date: Thu, 12 Nov 2004 16:57:05 +0000
C2: From: Bob Ar <bar@example.org>
C2: MIME-Version: 1.0
C2: To: foo@example.net
C2: Subject: About our holiday trip
C2: Content-Type: multipart/mixed;
C2:     boundary="------------030308070208000400050907"
C2: 
C2: --------------030308070208000400050907
C2: Content-Type: text/plain; format=flowed
C2: 
C2: Our travel agent has sent the updated schedule.
C2: 
C2: Cheers,
C2: Bob
C2: --------------030308070208000400050907
C2:  URL "/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME" URL "/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2" TEXT {44}
S2: + Ready for literal data
C2: 
C2: --------------030308070208000400050907--
C2: )
S2: A0052 OK [APPENDUID ${sent} 1] APPEND completed
C2: A0053 GENURLAUTH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL
S2: * GENURLAUTH "imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1}"
S2: A0053 OK GENURLAUTH completed
C: EHLO potter.example.org
S: 250-example.org Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250-DSN
S: 250 BURL
C: AUTH PLAIN AGJvYi5hcgBhY2Npbw==
S: 235 2.7.0 Authentication successful
C: EHLO potter.example.org
S: 250-example.org Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250-DSN
S: 250 BURL imap
C: BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1} LAST
S: 503 5.5.0 Valid RCPT TO required before BURL
C: MAIL FROM:<bob.ar@example.org>
S: 250 2.1.0 Sender <bob.ar@example.org> OK
C: RCPT TO:<foo@example.org>
S: 250 2.1.5 Recipient <foo@example.org> OK
C: BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1} LAST
S: 250 2.0.0 Message queued as ${q1}
# Refusals; each fails its transaction.
C: MAIL FROM:<bob.ar@example.org>
S: 250 2.1.0 Sender <bob.ar@example.org> OK
C: RCPT TO:<foo@example.org>
S: 250 2.1.5 Recipient <foo@example.org> OK
C: BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;urlauth=submit+foo:INTERNAL:${t1} LAST
S: 554 5.7.0 IMAP URL authorization failed: the URL is not for submit+bob.ar
C: BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t1} LAST
S: 503 5.5.1 The transaction failed; send RSET
C: RSET
S: 250 2.0.0 OK
C: MAIL FROM:<bob.ar@example.org>
S: 250 2.1.0 Sender <bob.ar@example.org> OK
C: RCPT TO:<foo@example.org>
S: 250 2.1.5 Recipient <foo@example.org> OK
C: BURL imap://bob.ar@mail.elsewhere.example/Sent;UIDVALIDITY=${sent}/;uid=1;urlauth=submit+bob.ar:INTERNAL:${t1} LAST
S: 554 5.7.14 URL resolution requires trust relationship with mail.elsewhere.example
C: RSET
S: 250 2.0.0 OK
C: MAIL FROM:<bob.ar@example.org>
S: 250 2.1.0 Sender <bob.ar@example.org> OK
C: RCPT TO:<foo@example.org>
S: 250 2.1.5 Recipient <foo@example.org> OK
C: BURL imap://bob.ar@example.org/Sent;UIDVALIDITY=${sent}/;uid=1;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:0000000000000000000000000000000000000000000000000000000000000000 LAST
S: 554 5.6.6 IMAP URL resolution failed
C: RSET
S: 250 2.0.0 OK
# §8.4.2: the attachment's MIME header and body by URL, between BDATs.
C2: B0052 GENURLAUTH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar" INTERNAL
S2: * GENURLAUTH "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t2}" "imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t3}"
S2: B0052 OK GENURLAUTH completed
C: MAIL FROM:<bob.ar@example.org> BODY=BINARYMIME
S: 250 2.1.0 Sender <bob.ar@example.org> OK
C: RCPT TO:<foo@example.org>
S: 250 2.1.5 Recipient <foo@example.org> OK
C: BDAT 474
C: Message-ID: <419399E1.6000505@caernarfon.example.org>
C: Date: Thu, 12 Nov 2004 16:57:05 +0000
C: From: Bob Ar <bar@example.org>
C: MIME-Version: 1.0
C: To: foo@example.net
C: Subject: About our holiday trip
C: Content-Type: multipart/mixed;
C:     boundary="------------030308070208000400050907"
C: 
C: --------------030308070208000400050907
C: Content-Type: text/plain; format=flowed
C: 
C: Our travel agent has sent the updated schedule.
C: 
C: Cheers,
C: Bob
C: --------------030308070208000400050907
S: 250 2.0.0 474 octets received
C: BURL imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2.MIME;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t2}
S: 250 2.5.0 196 octets fetched; waiting for more BURL or BDAT
C: BURL imap://bob.ar@example.org/INBOX;UIDVALIDITY=${inbox}/;UID=1/;Section=2;expire=2099-10-28T23:59:59Z;urlauth=submit+bob.ar:INTERNAL:${t3}
S: 250 2.5.0 104 octets fetched; waiting for more BURL or BDAT
C: BDAT 44 LAST
C: 
C: --------------030308070208000400050907--
S: 250 2.0.0 Message queued as ${q2}
C: QUIT
S: 221 2.0.0 example.org Bye
!closed 1
# foo has both; each one's second part is the trip details, unchanged.
!connect 3 plain imap
S3: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready
C3: c1 LOGIN foo foopw
S3: c1 OK [CAPABILITY IMAP4rev1 LITERAL+ ID ENABLE IDLE NAMESPACE UNSELECT MULTIAPPEND CHILDREN LIST-EXTENDED LIST-STATUS SPECIAL-USE CREATE-SPECIAL-USE UIDPLUS MOVE CONDSTORE QRESYNC WITHIN ESEARCH SEARCHRES NOTIFY CONTEXT=SEARCH SORT SORT=DISPLAY ESORT CONTEXT=SORT THREAD=ORDEREDSUBJECT THREAD=REFERENCES BINARY CATENATE URLAUTH URLAUTH=BINARY URL-PARTIAL PARTIAL METADATA PREVIEW XENCRYPTED=AES-256-GCM COMPRESS=DEFLATE CONVERT] Logged in
# The queue delivers in the background: wait until it has.
!poll 3 30 STATUS INBOX (MESSAGES) == * STATUS INBOX (MESSAGES 2)
C3: c2 EXAMINE INBOX
S3: * 2 EXISTS
S3: * 2 RECENT
S3: * OK [UNSEEN 1] Message 1 is first unseen
S3: * OK [UIDVALIDITY ${fuv}] UIDs valid
S3: * OK [UIDNEXT 3] Predicted next UID
S3: * OK [HIGHESTMODSEQ ${fhms}] Highest
S3: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft)
S3: * OK [PERMANENTFLAGS ()] No permanent flags permitted
S3: c2 OK [READ-ONLY] EXAMINE completed
C3: c3 FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BINARY.PEEK[2])
S3: * 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {35}Subject: About our holiday trip\r\n\r\n BINARY[2] {77}Flight LH 456, 28 October 2006, 08:15 ZRH -> LHR\r\nHotel: Strand, two nights\r\n)
S3: * 2 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {35}Subject: About our holiday trip\r\n\r\n BINARY[2] {77}Flight LH 456, 28 October 2006, 08:15 ZRH -> LHR\r\nHotel: Strand, two nights\r\n)
S3: c3 OK FETCH completed
