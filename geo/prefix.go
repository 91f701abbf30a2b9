package geo

import "strings"

// districtCapitals maps Italian landline area codes (prefissi dei distretti
// telefonici) to the comune the district is named after: a first guess at
// where a caller is, for the operator to confirm. Only districts named
// after provincial capitals (and a few large towns) are listed; a number
// from elsewhere in a district still gets its capital, which is what
// "rough" means here. Mobile numbers (3xx) carry no place.
var districtCapitals = map[string]struct{ name, sigla string }{
	"011": {"Torino", "TO"}, "0161": {"Vercelli", "VC"}, "0321": {"Novara", "NO"}, "015": {"Biella", "BI"},
	"0171": {"Cuneo", "CN"}, "0141": {"Asti", "AT"}, "0131": {"Alessandria", "AL"}, "0323": {"Verbania", "VB"},
	"0165": {"Aosta", "AO"}, "010": {"Genova", "GE"}, "0183": {"Imperia", "IM"}, "019": {"Savona", "SV"},
	"0187": {"La Spezia", "SP"}, "02": {"Milano", "MI"}, "035": {"Bergamo", "BG"}, "030": {"Brescia", "BS"},
	"031": {"Como", "CO"}, "0372": {"Cremona", "CR"}, "0341": {"Lecco", "LC"}, "0371": {"Lodi", "LO"},
	"0376": {"Mantova", "MN"}, "039": {"Monza", "MB"}, "0382": {"Pavia", "PV"}, "0342": {"Sondrio", "SO"},
	"0332": {"Varese", "VA"}, "0471": {"Bolzano", "BZ"}, "0461": {"Trento", "TN"}, "041": {"Venezia", "VE"},
	"045": {"Verona", "VR"}, "049": {"Padova", "PD"}, "0444": {"Vicenza", "VI"}, "0422": {"Treviso", "TV"},
	"0425": {"Rovigo", "RO"}, "0437": {"Belluno", "BL"}, "040": {"Trieste", "TS"}, "0432": {"Udine", "UD"},
	"0481": {"Gorizia", "GO"}, "0434": {"Pordenone", "PN"}, "051": {"Bologna", "BO"}, "059": {"Modena", "MO"},
	"0521": {"Parma", "PR"}, "0522": {"Reggio nell'Emilia", "RE"}, "0523": {"Piacenza", "PC"}, "0532": {"Ferrara", "FE"},
	"0544": {"Ravenna", "RA"}, "0543": {"Forlì", "FC"}, "0547": {"Cesena", "FC"}, "0541": {"Rimini", "RN"},
	"055": {"Firenze", "FI"}, "050": {"Pisa", "PI"}, "0586": {"Livorno", "LI"}, "0583": {"Lucca", "LU"},
	"0585": {"Massa", "MS"}, "0574": {"Prato", "PO"}, "0573": {"Pistoia", "PT"}, "0575": {"Arezzo", "AR"},
	"0577": {"Siena", "SI"}, "0564": {"Grosseto", "GR"}, "075": {"Perugia", "PG"}, "0744": {"Terni", "TR"},
	"071": {"Ancona", "AN"}, "0721": {"Pesaro", "PU"}, "0733": {"Macerata", "MC"}, "0736": {"Ascoli Piceno", "AP"},
	"0734": {"Fermo", "FM"}, "06": {"Roma", "RM"}, "0773": {"Latina", "LT"}, "0775": {"Frosinone", "FR"},
	"0761": {"Viterbo", "VT"}, "0746": {"Rieti", "RI"}, "0862": {"L'Aquila", "AQ"}, "0863": {"Avezzano", "AQ"},
	"0861": {"Teramo", "TE"}, "085": {"Pescara", "PE"}, "0871": {"Chieti", "CH"}, "0874": {"Campobasso", "CB"},
	"0865": {"Isernia", "IS"}, "081": {"Napoli", "NA"}, "0823": {"Caserta", "CE"}, "0824": {"Benevento", "BN"},
	"0825": {"Avellino", "AV"}, "089": {"Salerno", "SA"}, "080": {"Bari", "BA"}, "0881": {"Foggia", "FG"},
	"099": {"Taranto", "TA"}, "0831": {"Brindisi", "BR"}, "0832": {"Lecce", "LE"}, "0971": {"Potenza", "PZ"},
	"0835": {"Matera", "MT"}, "0961": {"Catanzaro", "CZ"}, "0984": {"Cosenza", "CS"}, "0965": {"Reggio di Calabria", "RC"},
	"0962": {"Crotone", "KR"}, "0963": {"Vibo Valentia", "VV"}, "091": {"Palermo", "PA"}, "095": {"Catania", "CT"},
	"090": {"Messina", "ME"}, "0931": {"Siracusa", "SR"}, "0932": {"Ragusa", "RG"}, "0922": {"Agrigento", "AG"},
	"0934": {"Caltanissetta", "CL"}, "0935": {"Enna", "EN"}, "0923": {"Trapani", "TP"}, "070": {"Cagliari", "CA"},
	"079": {"Sassari", "SS"}, "0789": {"Olbia", "SS"}, "0784": {"Nuoro", "NU"}, "0783": {"Oristano", "OR"},
}

// NationalNumber strips an Italian number to its national digits:
// "+39 0862 123456" and "0039 0862123456" become "0862123456".
func NationalNumber(number string) string {
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case strings.HasPrefix(number, "+39"):
		d = strings.TrimPrefix(d, "39")
	case strings.HasPrefix(d, "0039"):
		d = strings.TrimPrefix(d, "0039")
	}
	return d
}

// LikelyComune guesses a landline caller's comune from the area code (the
// longest known prefix wins). It reports false for mobile, foreign or
// unknown numbers.
func (x *Index) LikelyComune(number string) (Place, bool) {
	d := NationalNumber(number)
	if !strings.HasPrefix(d, "0") || (strings.HasPrefix(number, "+") && !strings.HasPrefix(number, "+39")) {
		return Place{}, false
	}
	for n := min(4, len(d)); n >= 2; n-- {
		dc, ok := districtCapitals[d[:n]]
		if !ok {
			continue
		}
		for _, p := range x.Search(dc.name, 10) {
			if p.Sigla == dc.sigla && Normalize(p.Name) == Normalize(dc.name) {
				return p, true
			}
		}
		return Place{}, false
	}
	return Place{}, false
}
