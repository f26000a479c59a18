# A disk short of limits.min_free_space (DESIGN.md §5): the queue takes no
# message, and the client hears a temporary failure at DATA and at BDAT
# (RFC 3463 4.3.1, "Mail system full"; the BDAT chunk is still read, RFC
# 3030 §2), so it retries later; the session goes on.
!protocol submission
!user alice pw1
!user bob pw2
!option limits.min_free_space=100000000GB
S: 220 localhost ESMTP Lemonade
C: EHLO client.example
S: 250-localhost Lemonade at your service
S: 250-PIPELINING
S: 250-SIZE 52428800
S: 250-ENHANCEDSTATUSCODES
S: 250-STARTTLS
S: 250-AUTH PLAIN LOGIN SCRAM-SHA-256
S: 250-8BITMIME
S: 250-BINARYMIME
S: 250-CHUNKING
S: 250-SMTPUTF8
S: 250 DSN
C: AUTH PLAIN AGFsaWNlAHB3MQ==
S: 235 2.7.0 Authentication successful
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
C: DATA
S: 452 4.3.1 Insufficient system storage; try again later
C: MAIL FROM:<alice@localhost>
S: 250 2.1.0 Sender <alice@localhost> OK
C: RCPT TO:<bob@localhost>
S: 250 2.1.5 Recipient <bob@localhost> OK
!raw 1 b"BDAT 5 LAST\r\nabcde"
S: 452 4.3.1 Insufficient system storage; try again later
C: NOOP
S: 250 2.0.0 OK
C: QUIT
S: 221 2.0.0 localhost Bye
!closed 1
