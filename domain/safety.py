"""Spot messages that read like an emergency, in English, Polish, Portuguese or Arabic.

The bot checks every text message with `detect_emergency` before anything else and, on a hit,
answers at once with emergency signposting. Recall matters most; ordinary questions must pass.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class Emergency(StrEnum):
    """What kind of emergency a message reads like, to choose the signposting to send."""

    BABY_UNWELL = "baby_unwell"
    SELF_HARM = "self_harm"
    ABUSE = "abuse"


# Telegram messages stop at 4096 characters; this bounds the work for anything else pasted in.
_MAX_CHARS = 10_000
# Short words have too many real neighbours ("hit"/"sit", "blue"/"glue") to forgive a slip.
_FUZZY_MIN_LENGTH = 5
# Words around a match looked at when a rule names words that make it ordinary.
_NEAR_WINDOW = 4

# The distinctive words that forgive one slip. A slip is allowed only here, not on every long
# word, because one letter turns many common words into trigger words (putting/cutting,
# picked/kicked, sending/ending); each word here was checked against English, Polish and
# Portuguese word lists, and the real words found one edit away are in _LOOKALIKES.
_SLIP_TOLERANT = """
breathing breathe breathin brething unresponsive responding responsive suicide suicidal myself
seizure seizures convulsion convulsions convulsing unconscious lifeless struggling killmyself
selfharm strangled strangles threatens threatened threatening boyfriend husband girlfriend
domestic violence abusive
oddycha oddychac oddychal oddychala nieoddycha zsinial zsiniala zsinialo posinial wiotki wiotka
bezwladny bezwladna nieprzytomny nieprzytomna reaguje obudzic dobudzic drgawki drgawek konwulsje
umrzec samobojstwo samobojstwa samobojstwie samobojcze samookaleczenie przemoc przemocy
domowej skrzywdzic
respirando respirar respira respiracao convulsao convulsoes convulsionando suicidio suicida
suicidar morrer molinho molinha desmaiou inconsciente violencia domestica agredida espancada
espancou companheiro namorado
يتنفس تتنفس بيتنفس يستجيب تستجيب يتجاوب تتجاوب تشنجات يضربني ضربني يعنفني يهددني يؤذيني
يختنق اختناق الموت مرتخي
"""
# Real words one edit away from a slip-tolerant word, never to be read as its misspelling.
_LOOKALIKE_WORDS = """
sloppy breaching berthing straggling straggled straggles
odpycha odpychac odpychal odpychala ciotka ciotki wioska wioski witka witki miotka miotki
wrotka wrotki posiwial posiwiala zsiwial zsiwiala zsiwialo redaguje pobudzic
correr morder bolinha bolinho mocinha mocinho modinha malinha rolinha tolinha tolinho moinho
miolinho espantada espantou escancada escancou estancada estancou espacada espacou desmamou
"""

_BABY_EN = (
    "my+baby|the+baby|our+baby|baby|babies|he|she|hes|shes|him|her|son|daughter|newborn|lo|"
    "little+one|my+son|my+daughter|it|they"
)
_COLOUR_EN = "blue|grey|gray|purple|bluish|blueish|dusky|ashen"
_THROUGH_NOSE = (
    "through|thru|via|przez|pelo|pela|من ~2 nose|nostril|nostrils|nos|nosek|nosem|nosa|nariz|"
    "narizinho|narinas|انفه|انفها|الانف|انف|خشمه|خشمها|مناخيره|مناخيرها"
)
_NIGHT = (
    "night nights nighttime overnight nap naps early morning mornings noc nocy noca nocami "
    "drzemce drzemki rano noite noites madrugada cedo soneca sonecas manha الليل بالليل ليلا "
    "الليله بالليله بدري الصبح الفجر"
)
_PARTNER_EN = (
    "partner|husband|hubby|boyfriend|bf|ex|expartner|exhusband|ex+partner|ex+husband|wife|"
    "girlfriend|gf|fiance|fiancee|spouse|other+half|babys+dad|babys+father|stepdad|dad|father|"
    "mum|mother|mil|mother+in+law|father+in+law|brother|family|in+laws|inlaws"
)
_HURT_EN = (
    "hits|hit|hitting|beats|beat|beating|beaten|punches|punched|punching|kicks|kicked|kicking|"
    "slaps|slapped|slapping|chokes|choked|choking|strangles|strangled|strangling|threatens|"
    "threatened|threatening|hurts|hurt|hurting|abuses|abused|abusing|attacks|attacked|pushes|"
    "pushed|shoves|shoved|rapes|raped|burns|burned|burnt|assaults|assaulted|throttles|"
    "throttled|grabs|grabbed|bites|bit|smacks|smacked"
)
_PASSIVE_EN = (
    "hurt|hit|beaten|abused|threatened|attacked|raped|kicked|punched|strangled|choked|slapped|"
    "assaulted|pushed|smacked"
)
_SELF_HURT_EN = (
    "hurt|hurting|harm|harming|kill|killing|shake|shaking|smother|smothering|suffocate|"
    "suffocating|hit|hitting|drown|drowning|throw|throwing|strangle|strangling"
)
_URGE_EN = (
    "want+to|wanted+to|wanting+to|wanna|urge+to|urges+to|thoughts+of|thought+of|"
    "thoughts+about|thinking+of|thinking+about|think+about|scared+i+will|scared+i+might|"
    "scared+ill|scared+i+would|afraid+i+will|afraid+i+might|afraid+ill|worried+i+will|"
    "worried+i+might|worried+ill|terrified+i+will|terrified+i+might|scared+of|afraid+of|"
    "terrified+of|frightened+of|i+might|i+could|i+will|ill|i+would|id|tempted+to|"
    "im+going+to|i+am+going+to|im+gonna|i+am+gonna|urge+of|urges+of"
)
_PARTNER_PL = (
    "maz|meza|mezem|partner|partnera|partnerem|chlopak|chlopaka|facet|narzeczony|konkubent|"
    "zona|partnerka|byly|bylego|ex|tesciowa|tesc|ojciec+dziecka|ojciec|brat"
)
_HURT_PL = (
    "bije|bil|pobil|pobije|uderza|uderzyl|kopie|kopnal|dusi|dusil|grozi|grozil|szarpie|szarpal|"
    "popycha|popchnal|gwalci|zgwalcil|krzywdzi|skrzywdzil|poniza|zastrasza|zneca|wyzywa|"
    "rzuca+mna|rzucil+mna|zabije"
)
_PARTNER_PT = (
    "marido|companheiro|namorado|parceiro|esposo|ex|ex+marido|exmarido|ex+companheiro|mulher|"
    "esposa|companheira|namorada|parceira|pai+do+bebe|pai+da+bebe|pai+da+crianca|"
    "pai+do+meu+filho|pai+da+minha+filha|sogro|sogra|cunhado|ele"
)
_HURT_PT = (
    "bate|bateu|batendo|agride|agrediu|agredindo|espanca|espancou|espancando|ameaca|ameacou|"
    "ameacando|machuca|machucou|machucando|empurra|empurrou|estrangula|estrangulou|enforca|"
    "enforcou|violenta|violentou|estupra|estuprou|chuta|chutou|chutando|soca|socou|"
    "esbofeteia|maltrata|maltratou|abusa|abusou|bater|agredir|espancar|matar|queimou|queima"
)
_URGE_PT = (
    "quero|queria|vontade+de|penso+em|pensando+em|pensei+em|pensamentos+de|pensamento+de|"
    "vou|estou|to|tou|ando|medo+de|desejo+de|tentei|tentando|tenho+vontade+de|preferia|prefiro"
)
_NEG_AR = "لا|ما|مش|مو|ليس|مب|موب|لم|عم+ما|مانه|ماهو|مهو"
_BLUE_AR = (
    "ازرق|زرقاء|زرقا|ازرقت|مزرق|مزرقه|زرق|ازرقاق|ازرقه|زرقان|زرقانه|رمادي|رماديه|بنفسجي|"
    "بنفسجيه|ازرقو"
)
_CHILD_AR = (
    "طفلي|ابني|بنتي|الطفل|البيبي|بيبي|رضيعي|الرضيع|ولدي|الولد|البنت|الرضيعه|طفلتي|"
    "الصغير|الصغيره|اطفالي|ولادي|عيالي"
)
_PARTNER_AR = (
    "زوجي|جوزي|رجلي|رجالي|خطيبي|طليقي|شريكي|حبيبي|زوجي+السابق|ابو+العيال|ابو+الولد|"
    "ابو+ولادي|ابو+البيبي|حماتي|حماي|اخوي|اخويا|اخي|ابوي|ابويا|زوجتي|مراتي|هو"
)
_HURT_AR = (
    "يضربني|ضربني|يضربنا|ضربنا|يعنفني|عنفني|يهددني|هددني|يؤذيني|اذاني|يخنقني|خنقني|"
    "يعتدي|اعتدى|يغتصبني|اغتصبني|يرفسني|رفسني|يركلني|ركلني|يدفعني|دفعني|يصفعني|صفعني|"
    "يلطمني|لطمني|يمد+ايده|مد+ايده|بيمد+ايده|يهينني|يحرقني|حرقني|يعذبني|يضرب|ضرب|يكفخني|"
    "كفخني|يبهدلني|يرزعني|بيموتني|رح+يقتلني|يقتلني|بيقتلني|هيقتلني|راح+يقتلني"
)

# Each rule: (category, pattern, words that make a match ordinary when near, pattern that makes
# it ordinary when it follows). A pattern is words in order: "a|b" is a choice, "a+b" a phrase
# within a choice, "_" an optional word, and "~N" lets up to N other words come before the next.
_Rule = tuple[Emergency, str, str, str]
_B, _S, _A = Emergency.BABY_UNWELL, Emergency.SELF_HARM, Emergency.ABUSE
_RULES: tuple[_Rule, ...] = (
    # --- English: the baby is unwell
    (_B, "not|isnt|aint|wasnt|stopped|stop|stops|cant|cannot|can+not|couldnt|unable+to|"
         "struggling+to|struggles+to|struggling|struggle|trouble|difficulty|difficulties|"
         "problems|hard+to|fighting+to|fighting+for|gasping+for|gasping|no|barely ~1 "
         "breathing|breathe|breath|breathin|breth|brething", "exercise exercises technique "
         "techniques", _THROUGH_NOSE),
    (_B, "breathing|breath ~1 stopped|stops|has+stopped|keeps+stopping|is+laboured|laboured",
         "", ""),
    (_B, f"turned|turning|turns|turn|gone|went|goes|going|became|become|becoming|looks|looking "
         f"~1 {_COLOUR_EN}", "hair eyes eye", ""),
    (_B, f"lips|lip|face|skin|tongue|mouth ~3 {_COLOUR_EN}", "eyes eye",
         "spot|spots|patch|patches|mark|marks|birthmark|birthmarks|bruise|bruises|vein|veins"),
    (_B, f"{_COLOUR_EN} lips|lip|face|tongue|around|round|all+over", "", ""),
    (_B, "floppy|limp|lifeless|unresponsive|unrousable|nonresponsive|non+responsive|"
         "unconscious", "head neck ear ears hat toy toys teddy bunny walk walks walking leg legs "
         "foot feet", ""),
    (_B, "not|isnt|wont|doesnt|dosnt|no|stopped ~1 responding|respond|responsive|response|"
         "reacting|react|reaction", "name sound sounds noise noises voice treatment treatments "
         "antibiotics medicine medication email emails message messages call calls phone texts "
         "gp surgery doctor app website bot", ""),
    (_B, "cant|cannot|can+not|couldnt|could+not|unable+to|impossible+to|cant+get|struggling+to "
         f"~1 wake|waken|rouse|awaken|wakeup {_BABY_EN}", _NIGHT, ""),
    (_B, "wont|will+not|isnt|is+not|not|wouldnt ~1 wake|waking|waken|rouse|awaken|wakeup|"
         "woken", _NIGHT, ""),
    (_B, "seizure|seizures|seizing|convulsion|convulsions|convulsing|convulsed|convulses", "", ""),
    (_B, f"{_BABY_EN}|is|was|keeps|kept|started|starts|been ~1 fitting", "",
         "seat|car|carseat|cot|into|in|well|properly|clothes|nappies|nappy|the|a|his|her|him|"
         "them|size|sizes|nicely|perfectly|snugly|fine|ok|okay"),
    (_B, "having|had|has|another ~1 fit|fits", "", ""),
    (_B, "eyes ~2 rolling|rolled|roll ~1 back|up", "", ""),
    # --- English: thoughts of suicide or self-harm, or of hurting the baby
    (_S, "suicide|suicidal|suicidel|suicidial|suicde|sucide", "squad bomber bombers", ""),
    (_S, "kill|kil|killing|killin|end|ending|hurt|hurting|harm|harming|cut|cutting|hang|"
         "hanging|poison|poisoning|drown|strangle|top|off|starve ~1 myself|meself|my+self|mself",
         "lifting carrying fell fall falling accidentally accident back knee ankle wrist shaving "
         "cooking chopping paper", ""),
    (_S, "killmyself|killmyslf|kms|unalive|unalive+myself", "", ""),
    (_S, "end|ending|take|taking ~1 my+life|my+own+life|it+all", "", ""),
    (_S, "want|wanna|wanted|wanting|wish|wished|ready|deserve ~2 to+die|die|dead|be+dead",
         "laughing laugh embarrassment", ""),
    (_S, "better+off ~1 dead|without+me|without+us", "", ""),
    (_S, "no|nothing|not+any ~1 point|reason|purpose ~2 living|live|going+on|carrying+on|"
         "in+life|being+alive|to+live", "", ""),
    (_S, "dont|do+not|didnt ~1 want ~1 to+live|to+be+alive|to+be+here|to+exist|to+wake+up|"
         "to+go+on|live|exist|to+carry+on", "",
         "here|there|in|near|at|anywhere|nearby|round|around|by|on|with|until|till"),
    (_S, "self+harm|selfharm|self+harming|selfharming|self+injury|self+harmed|self+hurt|"
         "self+injure", "", ""),
    (_S, "take|taking|took|taken|taking+an|take+an|took+an ~1 overdose|od", "", ""),
    (_S, f"{_URGE_EN} ~1 {_SELF_HURT_EN} my|the|our|_ baby|babies|son|daughter|child|kid|kids|"
         "children|newborn|little+one|lo|him|her|them", "nails nail clippers accidentally "
         "accident jab jabs vaccine vaccines injection injections teeth bath cutting "
         "bottle bottles milk formula rattle toy", ""),
    # --- English: abuse at home
    (_A, f"{_PARTNER_EN} ~2 {_HURT_EN} me|us|my+baby|my+son|my+daughter|my+children|my+kids|"
         "the+baby|the+kids|the+children|our+baby|our+son|our+daughter|our+kids|myself",
         "", "feelings|feeling|ears|head+in"),
    (_A, "he|she ~2 beats|punches|punched|chokes|choked|strangles|strangled|threatens|"
         "threatened|rapes|raped|assaults|assaulted|abuses|abused ~0 me", "", ""),
    (_A, f"{_PASSIVE_EN} ~0 by ~1 {_PARTNER_EN}|him|her", "", ""),
    (_A, f"being|been|getting|get ~1 {_PASSIVE_EN} at+home|at+night|in+my+home|"
         "in+the+house|by+him|by+her|by+them|again", "", ""),
    (_A, "im|i+am|being|was|been ~1 abused|beaten|raped|assaulted", "", ""),
    (_A, "domestic ~1 abuse|violence|abusive|violent|assault|dispute|incident", "", ""),
    (_A, "coercive ~1 control|controlling", "", ""),
    (_A, f"abusive|violent ~1 {_PARTNER_EN}|relationship|marriage|home", "", ""),
    (_A, f"scared|afraid|frightened|terrified|fear|fearful ~1 of|for ~1 {_PARTNER_EN}|my+life|"
         "my+safety|our+safety|going+home|go+home|my+partner|my+husband", "", ""),
    (_A, "not|dont|unsafe|dont+feel|never+feel ~2 safe|unsafe ~1 at+home|home|with+him|"
         f"with+my|in+my+home|in+the+house|around+him|near+him|{_PARTNER_EN}", "", ""),
    (_A, "threatens|threatened|threatening ~2 to+kill+me|kill+me|to+hurt+me|hurt+me|"
         "to+take+the+baby|to+take+my+baby|take+the+baby|to+take+the+kids|to+take+my+kids",
         "", ""),
    # --- Polish: the baby is unwell
    (_B, "nie|przestal|przestala|przestalo|przestaje ~2 oddycha|oddychac|oddychal|oddychala|"
         "oddychalo|oddychaja|oddychajac", "", _THROUGH_NOSE),
    (_B, "nieoddycha|nieoddychal|nieoddychala|bezdech|bezdechu|brak+oddechu|dusi+sie|"
         "dlawi+sie|zadlawil+sie|zadlawila+sie", "", ""),
    (_B, "ciezko|trudno|trudnosci|trudnosc|problem|problemy|klopot|klopoty ~3 oddycha|"
         "oddychac|oddychaniem|oddechem", "", _THROUGH_NOSE),
    (_B, "lapie|lapal|lapala ~1 powietrze|oddech", "", ""),
    (_B, "zsinial|zsiniala|zsinialo|zsinieje|zsinieja|posinial|posiniala|posinialo|sinieje|"
         "sinieja|poszarzal|poszarzala|poszarzalo|sinica|sinicy", "", ""),
    (_B, "siny|sina|sine|sinych|niebieski|niebieska|niebieskie|szary|szara|szare|fioletowy|"
         "fioletowa|fioletowe ~1 usta|ustach|wargi|wargach|twarz|twarzy|na+twarzy|wokol+ust|"
         "skora|skore|buzia|buzie|buzka|buzke", "oczy oczka oko", ""),
    (_B, "usta|wargi|twarz|twarzy|skora|buzia|buzie|buzka|buzke ~2 siny|sina|sine|sinieja|"
         "niebieski|niebieska|niebieskie|szary|szara|szare|fioletowe|fioletowa|zsinialy|"
         "zsiniala|zsinialo|zsiniale", "oczy oczka oko", ""),
    (_B, "jest|zrobil+sie|zrobila+sie|zrobilo+sie|robi+sie ~1 siny|sina|sine|szary|szara|szare|"
         "niebieski|niebieska|fioletowy|fioletowa", "kocyk kocykiem ubranko body czapka", ""),
    (_B, "wiotki|wiotka|wiotkie|wiotczeje|bezwladny|bezwladna|bezwladne|bezwladnie|lejacy|"
         "lejaca|nieprzytomny|nieprzytomna|nieprzytomne|zemdlal|zemdlala|omdlal|omdlala",
         "glowka glowa szyja szyjka miesnie miesni napiecie", ""),
    (_B, "stracil|stracila|traci ~0 przytomnosc", "", ""),
    (_B, "nie|przestal|przestala|brak ~1 reaguje|reagowac|reagowal|reagowala|reakcji|"
         "odpowiada+na+bodzce|kontaktuje|kontaktuje+sie", "imie imienia dzwieki dzwiek glos "
         "halas polecenia leki lek leczenie antybiotyk maile wiadomosci telefon przychodnia", ""),
    (_B, "nie+moge|nie+mozemy|nie+mozna|nie+moglam|nie+moglem|nie+mogla|nie+da+sie|"
         "nie+daje+sie|nie+umiem ~0 go|jej|ich|dziecka|synka|coreczki|corki|syna|malej|malego|"
         "malucha|dzidziusia|_ obudzic|dobudzic|wybudzic|zbudzic|docucic|ocucic", "", ""),
    (_B, "nie ~1 budzi|budzil|budzila|obudzil|obudzila|wybudza|dobudza|przebudza ~0 sie|_",
         _NIGHT, ""),
    (_B, "drgawki|drgawek|drgawkami|drgawkowy|drgawkowe|drgawkowa|konwulsje|konwulsji|"
         "padaczki|napad+padaczki|atak+padaczki|napad+drgawek|rzuca+nim|rzuca+nia", "", ""),
    # --- Polish: thoughts of suicide or self-harm, or of hurting the baby
    (_S, "chce|chcialabym|chcialbym|chcialam|chcialem|wole|pragne|mam+ochote ~1 umrzec|"
         "umierac|zniknac|sie+zabic|zabic+sie|skonczyc+ze+soba|nie+zyc|nie+istniec", "", ""),
    (_S, "zabic+sie|zabije+sie|zabila+sie|zabic+siebie|zabilabym+sie|sie+zabic|sie+zabije|"
         "odebrac+sobie+zycie|odebrac+zycie|skonczyc+ze+soba|skoncze+ze+soba|"
         "skonczyc+z+tym+wszystkim|samobojstwo|samobojstwa|samobojstwie|samobojcze|"
         "samobojcza|samobojczy|samobojczych|samobojcy|targnac+sie", "", ""),
    (_S, "nie ~1 chce|chcialabym|chcialbym|ma+sensu|mam+po+co|warto|mam+sily|chce+mi+sie ~2 "
         "zyc|istniec", "", "tutaj|tu|tam|w|bez|razem|obok|dluzej+z|dalej+z|tak+dlugo"),
    (_S, "skrzywdzic+siebie|skrzywdzic+sie|skrzywdze+sie|okaleczac|okaleczam|okaleczac+sie|"
         "samookaleczenie|samookaleczenia|samookaleczam|samookaleczanie|tne+sie|ciac+sie|"
         "ciecie+sie|pocielam+sie|zrobic+sobie+krzywde|zrobie+sobie+krzywde|"
         "zrobic+sobie+cos|zrobie+sobie+cos", "", ""),
    (_S, "zrobie|zrobilabym|zrobilbym ~0 krzywde ~1 dziecku|synkowi|coreczce|corce|synowi|"
         "malej|malemu|jej|mu|dzidziusiowi|maluchowi", "", ""),
    (_S, "chce|mam+ochote|boje+sie|mysli+o|mysle+o|mysli+zeby|kusi+mnie|mam+mysli|"
         "moglabym|moglbym|mysle+zeby ~2 skrzywdzic|skrzywdze|skrzywdzilabym|udusic|udusze|"
         "potrzasnac|potrzasne|zabic|zabije|uderzyc|uderze|wyrzucic|utopic ~1 dziecko|"
         "dziecka|synka|corke|coreczke|syna|malucha|dzidziusia|ja|go|je|niemowle", "", ""),
    # --- Polish: abuse at home
    (_A, f"{_PARTNER_PL} ~2 {_HURT_PL}", "", ""),
    (_A, f"{_HURT_PL} mnie|nas ~2 {_PARTNER_PL}", "", ""),
    (_A, "przemoc|przemocy|przemoca ~1 domowa|domowej|w+domu|w+rodzinie|w+zwiazku|fizyczna|"
         "fizycznej|psychiczna|psychicznej|ze+strony", "", ""),
    (_A, "niebieska+karta|niebieskiej+karty|niebieska+karte|niebieska+linia|znecanie|"
         "znecania|zneca+sie|znecal+sie", "", ""),
    (_A, f"boje+sie|boje+sie+o|strach+przed ~1 {_PARTNER_PL}|wrocic+do+domu|o+swoje+zycie|"
         "o+zycie", "", ""),
    (_A, "nie ~1 czuje+sie|jestem ~1 bezpiecznie|bezpieczna|bezpieczny ~1 w+domu|z+nim|"
         "z+mezem|z+partnerem|przy+nim|przy+mezu|w+domu", "", ""),
    # --- Portuguese: the baby is unwell
    (_B, "nao|parou+de|parando+de|para+de|sem|deixou+de ~2 respira|respirando|respirar|"
         "respirou|respire|respiracao", "", _THROUGH_NOSE),
    (_B, "naorespira|naoesta+respirando|naota+respirando|sufocando|sufocado|sufocada|"
         "asfixia|asfixiado|asfixiada|falta+de+ar", "", ""),
    (_B, "dificuldade|dificuldades|dificil|problema|problemas|esforco|custo|mal ~2 respirar|"
         "respira|respiracao|pra+respirar|para+respirar", "", _THROUGH_NOSE),
    (_B, "respirando|respira|respiracao ~1 com+dificuldade|com+esforco|com+muito+esforco|"
         "ofegante", "", ""),
    (_B, "ficou|ficando|fica|ficar|virou|esta+ficando|ta+ficando ~1 roxo|roxa|roxinho|"
         "roxinha|azul|azulado|azulada|azulzinho|azulzinha|cinza|cinzento|cinzenta|arroxeado|"
         "arroxeada", "olhos olho roupa roupinha cabelo", ""),
    (_B, "labios|labio|boca|boquinha|rosto|rostinho|pele|cara|lingua|beicinho ~2 roxos|roxas|"
         "roxo|roxa|azuis|azul|azulados|azuladas|azulado|azulada|arroxeados|arroxeadas|"
         "arroxeado|arroxeada|cinza|cinzentos|cinzenta", "olhos olho", "mancha|manchas|marca"),
    (_B, "roxo|roxa|roxinho|roxinha|azul|azulado|azulada|arroxeado|arroxeada ~1 na|nos|"
         "em+volta+da|ao+redor+da|em+torno+da|perto+da|_ boca|labios|boquinha|cara|rosto", "",
         ""),
    (_B, "cianose|cianotico|cianotica|cianotico", "", ""),
    (_B, "molinho|molinha|flacido|flacida|largadinho|largadinha|sem+forca|sem+tonus|mole|"
         "desacordado|desacordada|inconsciente|desmaiou|desmaiado|desmaiada|desfalecido|"
         "desfalecida", "coco fezes fralda cocozinho bolo comida papinha pao consistencia "
         "fezinhas evacuacao intestino barriga queixo fontanela moleira pescoco pescocinho "
         "cabeca cabecinha massa pele cabelo mingau fruta banana", ""),
    (_B, "nao|sem ~1 reage|reagindo|reagiu|reacao|responsivo|reativo|responde|respondendo|"
         "respondeu", "nome sons som barulho barulhos voz chamado remedio tratamento "
         "medicamento mensagem mensagens email ligacao telefone whatsapp posto clinica medico "
         "medica enfermeira antibiotico", ""),
    (_B, "nao|nem ~1 acorda|acordou|acordar|desperta|despertou|acordando", _NIGHT, ""),
    (_B, "convulsao|convulsoes|convulsionando|convulsionou|convulsionar|convulsiona|"
         "convulsivo|convulsiva|ataque+epileptico|crise+epileptica|olhos+revirados|"
         "revirando+os+olhos|revirou+os+olhos|se+debatendo|tremendo+todo|tremendo+toda", "",
         ""),
    # --- Portuguese: thoughts of suicide or self-harm, or of hurting the baby
    (_S, "quero|queria|quer|vontade+de|desejo|penso+em|pensando+em|pensei+em|"
         "pensamentos+de|vou|preferia|prefiro ~1 morrer|morer|sumir|desaparecer|me+matar|"
         "me+suicidar|suicidar|acabar+com+tudo|acabar+com+a+minha+vida|"
         "acabar+com+minha+vida", "fome rir rindo vergonha", ""),
    (_S, "me+matar|me+mato|me+matando|matar+me|me+suicidar|suicidio|suicidios|suicida|"
         "suicidar|suicidei|suicidando|automutilacao|automutilar|autolesao|auto+lesao|"
         "auto+mutilacao|auto+mutilar", "", ""),
    (_S, "tirar|acabar+com|dar+fim+a|dar+fim+na|dar+fim+em|por+fim+a ~2 minha+vida|"
         "minha+propria+vida|propria+vida|vida+de+mim", "", ""),
    (_S, "acabar+com+tudo|acabar+com+isso+tudo|nao+aguento+mais+viver|"
         "nao+vale+a+pena+viver|sem+razao+para+viver|sem+razao+pra+viver|"
         "sem+motivo+para+viver|sem+motivo+pra+viver", "", ""),
    (_S, "nao ~2 quero|queria|aguento ~2 viver|existir|estar+viva|estar+vivo|acordar+mais",
         "", "aqui|la|em|no|na|perto|com|sozinha|sozinho|longe|ali"),
    (_S, f"{_URGE_PT} ~1 me+machucar|me+ferir|me+cortar|me+machucando|me+ferindo|"
         "me+cortando|me+mutilar|me+mutilando|me+enforcar|me+jogar|machucar+a+mim+mesma|"
         "me+machuco|me+corto", "", ""),
    (_S, f"{_URGE_PT} ~1 machucar|ferir|matar|sacudir|chacoalhar|sufocar|bater+em|jogar|afogar|"
         "machuca|mata|sacode ~1 o|a|meu|minha|_ bebe|bebezinho|bebezinha|filho|filha|nenem|"
         "nene|crianca|ele|ela|lo|la", "unha unhas vacina vacinas injecao banho", ""),
    # --- Portuguese: abuse at home
    (_A, f"{_PARTNER_PT} ~2 me ~0 {_HURT_PT}", "", ""),
    (_A, f"{_PARTNER_PT} ~2 {_HURT_PT} ~0 me|em+mim|a+mim|na+gente|nos|no+bebe|na+bebe|"
         "nas+criancas|nos+filhos|no+meu+filho|na+minha+filha", "", ""),
    (_A, "violencia|violencias ~1 domestica|domesticas|contra+a+mulher|em+casa|fisica|"
         "psicologica|do+meu+marido|do+marido|do+companheiro|do+meu+companheiro", "", ""),
    (_A, "maria+da+penha|medida+protetiva|medida+protectiva|medidas+protetivas", "", ""),
    (_A, "estou|to|tou|sou|fui|sendo|sofro|sofrendo|sofri|sofre ~1 agredida|agredido|"
         "espancada|espancado|ameacada|ameacado|abusada|abusado|violentada|estuprada|"
         "maltratada|violencia|agressao|agressoes|abuso|abusos", "", ""),
    (_A, f"medo|pavor ~2 {_PARTNER_PT}|dele", "", "cair|se+machucar|engasgar|acordar|chorar|"
         "ficar|pegar|ter|nao|morrer|sufocar|passar"),
    (_A, "nao ~2 segura|seguro|protegida ~2 em+casa|com+ele|com+meu|com+o+meu|perto+dele|"
         "dentro+de+casa|no+meu+lar", "", ""),
    # --- Arabic: the baby is unwell
    (_B, f"{_NEG_AR} ~1 يتنفس|تتنفس|بيتنفس|بتتنفس|يتنفسش|بيتنفسش|تتنفسش|بتتنفسش|عم+يتنفس|"
         "قاعد+يتنفس|قاعده+تتنفس|فيه+نفس|في+نفس", "", _THROUGH_NOSE),
    (_B, "مايتنفس|لايتنفس|مابيتنفس|مبيتنفسش|مشبيتنفس|ماتتنفس|لاتتنفس|مابتتنفس|مبتتنفسش|"
         "ماعميتنفس|مويتنفس|اختناق|يختنق|تختنق|بيختنق|بتختنق|مختنق|مختنقه|انقطاع+النفس|"
         "انقطاع+التنفس", "", ""),
    (_B, "توقف|توقفت|وقف|وقفت|انقطع|انقطعت|بطل|بطلت|قطع ~1 عن|_ التنفس|النفس|تنفسه|"
         "تنفسها|يتنفس|تتنفس", "", ""),
    (_B, "صعوبه|ضيق|مشكله|صعب|صعوبات|كتمه|يلهث|تلهث ~2 تنفس|التنفس|بالتنفس|نفس|النفس|"
         "يتنفس|تتنفس|بالنفس|تنفسه|تنفسها", "", _THROUGH_NOSE),
    (_B, "ازرق|ازرقت|ازرقاق|مزرق|مزرقه|زرقان|زرقانه|ازرقه|ازرقو", "عيون عيونه عيونها عين "
         "عينه عينها عينيه عينيها لبس لبسته لبستها لابس لابسه يلبس ملابس ملابسه ملابسها "
         "بطانيه قميص فستان بلوزه لعبه "
         "غطاء حفاضه السماء سماء كرسي سرير غرفه الحوت كدمه كدمات بقعه بقع", ""),
    (_B, "لونه|لونها|وجهه|وجهها|شفايفه|شفايفها|شفاهه|شفاهها|شفته|شفتيه|شفتيها|شفتاه|"
         f"شفايف|الشفايف|الشفاه|جلده|جلدها|بشرته|بشرتها|فمه|فمها|حول+الفم|حول+فمه|بوزه ~2 "
         f"{_BLUE_AR}", "عيون عيونه عيونها", "بقعه|بقع|علامه|كدمه|كدمات"),
    (_B, "صار|صارت|اصبح|اصبحت|تحول|تحولت|قلب|قلبت|بقى|بقي|بقت|بدا|راح|يصير|تصير|ازرق ~2 "
         f"{_BLUE_AR}", "عيون عيونه عيونها لبس ملابس", ""),
    (_B, "مرتخي|مرتخيه|رخو|رخوه|ارتخاء|مرخي|مرخيه|خامل|خامله|همدان|همدانه|بلا+حركه|"
         "مافيه+حيل|ما+فيه+حيل|غير+مستجيب|غير+مستجيبه|فاقد+الوعي|فاقده+الوعي|فقد+الوعي|"
         "فقدت+الوعي|مغمي+عليه|مغمي+عليها|اغمي+عليه|اغمي+عليها|غايب+عن+الوعي|"
         "غائب+عن+الوعي|جسمه+سايب|جسمها+سايب", "راسه راسها رقبته رقبتها", ""),
    (_B, f"{_NEG_AR} ~1 يستجيب|تستجيب|بيستجيب|بتستجيب|يتجاوب|تتجاوب|بيتجاوب|بتتجاوب|"
         "يتفاعل|تتفاعل|بيتفاعل|بتتفاعل|يصحصح|تصحصح", "اسمه اسمها للاسم لاسمه لاسمها العلاج "
         "للعلاج الدواء للدواء الاصوات للاصوات الصوت للصوت الرسايل الرسائل", ""),
    (_B, f"{_NEG_AR} ~1 يصحي|يصحا|يصحى|يستيقظ|تستيقظ|يفيق|تفيق|تصحى|تصحي|بيصحى|بيصحي|"
         "بيصحاش|بتصحاش|يفوق|تفوق|بيفوق|بتفوق|يصحو|تصحو", _NIGHT, ""),
    (_B, f"{_NEG_AR}|مقدرتش|ماقدرت|مااقدر|ماقدر|مقدرش ~2 اصحيه|اصحيها|نصحيه|نصحيها|ايقاظه|"
         "ايقاظها|اوقظه|اوقظها|افيقه|افيقها|نفيقه|نفيقها|اصحيهاش|اصحيهوش|اصحيه|اصحي", "", ""),
    (_B, "تشنج|تشنجات|تشنجت|يتشنج|تتشنج|بيتشنج|بتتشنج|متشنج|متشنجه|تشنجه|صرع|نوبه+صرع|"
         "نوبه+تشنج|نوبات+تشنج|اختلاج|اختلاجات|عيونه+مقلوبه|عيونها+مقلوبه|قلب+عيونه|"
         "قلبت+عيونها", "بطن البطن بطنه بطنها معوي معويه المعده معدته عضلي عضليه الساق رجله "
         "رجلها مغص القولون الرقبه", ""),
    # --- Arabic: thoughts of suicide or self-harm, or of hurting the baby
    (_S, "اريد|بدي|ابغى|ابغي|ابي|نفسي|عايزه|عايز|عاوزه|عاوز|اتمنى|اتمني|ودي|افكر|بفكر|"
         "بتمنى|حابه|حابب|اشتهي ~2 اموت|الموت|موت|انتحر|امووت|اموووت", "",
         "فيك|فيه|فيها|عليك|عليه|عليها|من+الضحك|من+الجوع|من+التعب|من+الفرحه"),
    (_S, "انتحار|الانتحار|انتحر|انتحرت|انتحاري|انتحاريه|بالانتحار|سانتحر|بنتحر|هنتحر|"
         "للانتحار|وانتحر", "", ""),
    (_S, "اقتل|اذي|اوذي|اجرح|اضر|ايذاء|اذيه|قتل|جرح|انهي|انهاء|اخلص|انهي ~1 نفسي|حالي|روحي|"
         "حياتي|من+حياتي|على+حياتي|على+نفسي|النفس|الذات", "", ""),
    (_S, f"{_NEG_AR} ~1 بدي|اريد|عايزه|عايز|ابغى|ابي|ابغي|حابه|حابب|اقدر ~2 اعيش|عيش|العيش|"
         "الحياه|حياه|اكمل|كمل", "", "هنا|هون|في|مع|بهذا|بهالبيت|بهذه"),
    (_S, "تعبت|زهقت|مليت|كرهت|طفشت ~1 من|_ الحياه|حياتي|العيشه|عيشتي|نفسي", "", ""),
    (_S, "الحياه|حياتي ~1 ما|مالها|مالهاش|ملهاش|بلا|بدون|ليس+لها ~1 معني|قيمه|طعم|لازمه",
         "", ""),
    (_S, "افكر|بفكر|افكار|اخاف|خايفه|خايف|بخاف|اريد|بدي|عايزه|ابغى|ابي|ودي|رغبه|نفسي|حاسه|"
         "احس ~2 اذي|اوذي|ايذاء|اذيه|اقتل|قتل|اخنق|خنق|اضرب|ارمي|اهز|هز|اغرق|اجرح ~1 "
         f"{_CHILD_AR}", "اظافر اظافره الاظافر التطعيم الحمام", ""),
    (_S, "افكر|بفكر|افكار|اخاف|خايفه|خايف|بخاف|اريد|بدي|عايزه|ابغى|ابي|ودي|رغبه|نفسي|حاسه|"
         "احس ~2 اوذيه|اوذيها|اقتله|اقتلها|اخنقه|اخنقها|اضربه|اضربها|ارميه|ارميها|اهزه|"
         "اهزها|اغرقه|اغرقها|اذيه|اذيها", "اظافر اظافره الاظافر التطعيم الحمام", ""),
    # --- Arabic: abuse at home
    (_A, f"{_PARTNER_AR} ~2 {_HURT_AR}", "", ""),
    (_A, f"{_HURT_AR} ~1 {_PARTNER_AR}", "", ""),
    (_A, "عنف|العنف|تعنيف|اعتداء|الاعتداء ~1 اسري|الاسري|منزلي|المنزلي|زوجي|الزوجي|جسدي|"
         "الجسدي|من+زوجي|في+البيت|بالبيت", "", ""),
    (_A, "تعنيف|يعنفني|معنفه|اتعنف|بتعنف|اتعرض+للضرب|اتعرض+للعنف|بتعرض+للضرب|"
         "بتعرض+للعنف", "", ""),
    (_A, "خايفه|خايف|اخاف|بخاف|خوف|مرعوبه|مرعوب ~1 من ~0 زوجي|جوزي|رجلي|طليقي|خطيبي|"
         "ابو+العيال|الرجوع+للبيت|ارجع+البيت", "", ""),
    (_A, "مش|مو|لست|ما|غير|مانيش ~1 امنه|امن|امان|بامان|مرتاحه ~1 في+البيت|بالبيت|في+بيتي|"
         "معه|مع+زوجي|بالدار|في+الدار|بالبيت", "", ""),
)  # fmt: skip


_DIGITS = {ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")} | {
    ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")
}
_FOLDS = _DIGITS | str.maketrans(
    {"ł": "l", "ى": "ي", "ة": "ه", "ـ": None, "'": None, "’": None, "ʼ": None, "`": None}
)
# Combining marks left by NFKD: Latin accents, and Arabic tashkeel and hamza (so أ إ آ -> ا).
_MARKS = re.compile("[\u0300-\u036f\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed]")
_WORD = re.compile(r"[^\W_]+")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def _words(text: str) -> list[str]:
    """Fold case, accents, Arabic spelling variants and digits, then split into words."""
    folded = text[:_MAX_CHARS].casefold().translate(_FOLDS)
    if not folded.isascii():
        folded = _MARKS.sub("", unicodedata.normalize("NFKD", folded))
    return _WORD.findall(folded)


@dataclass(frozen=True, slots=True)
class _Step:
    """One place in a phrase: the word sequences allowed there, after up to `gap` other words.

    The sequences are keyed by their first word so a step costs one lookup, however many
    choices it has; `optional` says the place may also be left empty.
    """

    by_first_word: dict[str, tuple[tuple[str, ...], ...]]
    optional: bool
    gap: int


@dataclass(frozen=True, slots=True)
class _Phrase:
    """A compiled rule: the words to find, and the company that shows it is ordinary talk."""

    category: Emergency
    steps: tuple[_Step, ...]
    ordinary_near: frozenset[str]
    ordinary_after: tuple[_Step, ...]


def _compile_steps(pattern: str) -> tuple[_Step, ...]:
    steps: list[_Step] = []
    gap = 0
    for part in pattern.split():
        if part.startswith("~"):
            gap = int(part[1:])
            continue
        by_first_word: dict[str, list[tuple[str, ...]]] = {}
        for choice in part.split("|"):
            if choice != "_":
                first, *rest = (word for piece in choice.split("+") for word in _words(piece))
                by_first_word.setdefault(first, []).append(tuple(rest))
        steps.append(
            _Step(
                {w: tuple(rests) for w, rests in by_first_word.items()},
                "_" in part.split("|"),
                gap,
            )
        )
        gap = 0
    return tuple(steps)


def _compile(rules: Iterable[_Rule]) -> tuple[dict[str, list[_Phrase]], set[str]]:
    """Index phrases by their first word, and collect the vocabulary for spelling tolerance."""
    by_first_word: dict[str, list[_Phrase]] = {}
    vocabulary: set[str] = set()
    for category, pattern, near, after in rules:
        steps = _compile_steps(pattern)
        phrase = _Phrase(
            category, steps, frozenset(_words(near)), _compile_steps(after) if after else ()
        )
        for step in (*steps, *phrase.ordinary_after):
            vocabulary.update(step.by_first_word)
            vocabulary.update(
                word for rests in step.by_first_word.values() for r in rests for word in r
            )
        vocabulary.update(phrase.ordinary_near)
        if steps[0].optional:
            raise ValueError(f"a phrase cannot start with an optional word: {pattern!r}")
        for word in steps[0].by_first_word:
            by_first_word.setdefault(word, []).append(phrase)
    return by_first_word, vocabulary


_BY_FIRST_WORD, _VOCABULARY = _compile(_RULES)
_TOLERANT = frozenset(_words(_SLIP_TOLERANT))
_LOOKALIKES = frozenset(_words(_LOOKALIKE_WORDS))
if _TOLERANT - _VOCABULARY or min(map(len, _TOLERANT)) < _FUZZY_MIN_LENGTH:
    raise ValueError("slip-tolerant words must be used in a phrase and be at least 5 letters")


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _build_misspellings() -> dict[str, set[str]]:
    """Map each word and its one-letter deletions to the vocabulary words they could come from.

    Two words within one edit share the word itself or a one-letter deletion (symmetric delete),
    so a lookup of a typed word's deletions finds every candidate without scanning the vocabulary.
    """
    index: dict[str, set[str]] = {}
    for word in _VOCABULARY:
        if word in _TOLERANT:
            for key in {word} | _deletions(word):
                index.setdefault(key, set()).add(word)
    return index


_MISSPELLINGS = _build_misspellings()


def _one_edit_apart(typed: str, word: str) -> bool:
    """Damerau-Levenshtein distance of exactly one; Arabic only by a letter added or dropped.

    Swapping one Arabic letter for another usually makes a different root word (انتظار
    "waiting" against انتحار "suicide"), whereas a dropped or extra letter is a typo or a
    dialect prefix (بيتنفس for يتنفس).
    """
    if abs(len(typed) - len(word)) > 1 or typed == word:
        return False
    if len(typed) != len(word):
        short, long = sorted((typed, word), key=len)
        return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
    if _ARABIC_LETTER.search(word):
        return False
    differences = [i for i, (a, b) in enumerate(zip(typed, word, strict=True)) if a != b]
    if len(differences) == 1:
        return True
    first, second = differences if len(differences) == 2 else (0, 0)
    return second == first + 1 and typed[first] == word[second] and typed[second] == word[first]


@lru_cache(maxsize=50_000)
def _canonical(typed: str) -> str:
    """The vocabulary word a typed word stands for, allowing one slip; else the word itself."""
    if typed in _VOCABULARY or typed in _LOOKALIKES or len(typed) < _FUZZY_MIN_LENGTH - 1:
        return typed
    if typed[0] in "وف" and typed[1:] in _VOCABULARY:  # Arabic "and"/"so" joined to a word
        return typed[1:]
    candidates: set[str] = set()
    for key in {typed} | _deletions(typed):
        candidates.update(_MISSPELLINGS.get(key, ()))
    matches = sorted(word for word in candidates if _one_edit_apart(typed, word))
    return matches[0] if matches else typed


def _match(steps: Sequence[_Step], words: tuple[str, ...], start: int) -> int | None:
    """Where the phrase ends if it matches `words` at `start`, else None."""
    if not steps:
        return start
    step, rest = steps[0], steps[1:]
    for at in range(start, min(start + step.gap + 1, len(words) + 1)):
        if step.optional and (found := _match(rest, words, at)) is not None:
            return found
        for tail in step.by_first_word.get(words[at], ()) if at < len(words) else ():
            end = at + 1 + len(tail)
            if words[at + 1 : end] == tail and (found := _match(rest, words, end)) is not None:
                return found
    return None


def _reads_as_ordinary(phrase: _Phrase, words: tuple[str, ...], start: int, end: int) -> bool:
    near = (*words[max(0, start - _NEAR_WINDOW) : start], *words[end : end + _NEAR_WINDOW])
    if any(word in phrase.ordinary_near for word in near):
        return True
    return bool(phrase.ordinary_after) and _match(phrase.ordinary_after, words, end) is not None


def detect_emergency(text: str) -> Emergency | None:
    """The emergency a message reads like, or None for an ordinary message.

    A baby in danger outranks self-harm, which outranks abuse, when a message reads as several.
    """
    words = tuple(_canonical(word) for word in _words(text))
    found: set[Emergency] = set()
    for start, word in enumerate(words):
        for phrase in _BY_FIRST_WORD.get(word, ()):
            if phrase.category in found:
                continue
            end = _match(phrase.steps, words, start)
            if end is not None and not _reads_as_ordinary(phrase, words, start, end):
                if phrase.category is Emergency.BABY_UNWELL:
                    return phrase.category
                found.add(phrase.category)
    for category in Emergency:
        if category in found:
            return category
    return None
