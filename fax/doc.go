// Package fax owns faxes from reception to case: it is the ARI
// controller's FaxSink, keeps each received fax as a durable job (so a
// restart loses none and the call's goroutine never waits on conversion),
// decodes the multi-page CCITT TIFF that Asterisk's ReceiveFAX wrote,
// renders it as a PDF at its true page size, reads its Italian text with
// tesseract where installed, and opens the case with both files and the
// text in the timeline. A failed or partial fax is recorded as such and
// flagged for an operator.
//
// It must not speak ARI (the controller hands results over), hold SQL, or
// need tesseract: OCR is a bonus, the case is the duty.
package fax
