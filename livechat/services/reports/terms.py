"""What shoppers ask about: the words and two-word phrases of their messages.

Each conversation counts once per term (a shopper who writes "delivery"
five times is one conversation asking about delivery). Stop words of the
conversation's language are left out, and so are greetings and thanks,
which every chat has. Languages written without spaces (Chinese, Japanese)
are cut into pairs of characters.
"""

import re

# At most this many distinct terms count for one conversation.
MAX_TERMS = 60

_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-][^\W\d_])+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")

_CHAT = (
    "hi hello hey thanks thank thx please ok okay yes no bye good morning "
    "afternoon evening great sure hola gracias vale buenos buenas adiós "
    "привет здравствуйте спасибо пожалуйста да нет хорошо ладно "
    "bonjour merci salut hallo danke bitte ciao grazie"
)
_STOP = {
    "en": """a about above after again against all am an and any are aren't as at be
    because been before being below between both but by can can't cannot could
    couldn't did didn't do does doesn't doing don't down during each few for from
    further get got had hadn't has hasn't have haven't having he her here hers
    herself him himself his how i i'd i'll i'm i've if in into is isn't it it's its
    itself just let's like me more most much my myself need nor not now of off on
    once only or other ought our ours ourselves out over own same she should
    shouldn't so some such than that that's the their theirs them themselves then
    there there's these they they're this those through to too under until up us
    very want was wasn't we we're were weren't what what's when where which while
    who whom why will with won't would wouldn't you you'd you'll you're your yours
    yourself also any anyone still one two way there's im dont cant""",
    "es": """a al algo algunas algunos ante antes como con contra cual cuando de del
    desde donde dos el ella ellas ellos en entre era es esa esas ese eso esos esta
    estaba estamos estan estar este esto estos estoy fue ha hay la las le les lo los
    me mi mis mucho muy mas más nada ni no nos nosotros o os otra otro para pero poco
    por porque que qué quien se ser si sí sin sobre son su sus también te tengo
    tiene tu tus un una uno unos usted y ya yo quiero puedo""",
    "ru": """а без бы был была были было в вам вас весь во вот все всё вы где да для до
    его ее её если есть еще ещё же за и из или им их к как ко когда кто ли мне мной
    мы на над не него нет ни них но ну о об он она они оно от по под при с со так
    также то тоже только ты у уже хочу чем что чтобы эта эти это я можно""",
    "fr": """au aux avec ce ces dans de des du elle en est et eux il je la le les leur
    lui ma mais me même mes moi mon ne nos notre nous on ou par pas pour qu que qui
    sa se ses son sur ta te tes toi ton tu un une vos votre vous est suis""",
    "de": """aber als am an auch auf aus bei bin bis bist da dann das dass dem den der
    des die du ein eine einem einen einer es für hat habe ich ihr im in ist ja
    kann mein mich mir mit nach nicht noch nur oder sich sie sind so um und uns von
    vor was wie wir zu zum zur""",
}
STOP_WORDS = {
    lang: set(words.split()) | set(_CHAT.split()) for lang, words in _STOP.items()
}


def stop_words(language):
    return STOP_WORDS.get((language or "en")[:2].lower(), STOP_WORDS["en"])


def terms_of(text, language=""):
    """The words and two-word phrases of ``text``, in order, once each."""
    stops = stop_words(language)
    found = {}
    for run in re.split(r"[.!?;:,\n()\[\]\"]+", text.lower()):
        words = [w for w in _WORD.findall(run) if len(w) > 1 and not _CJK.fullmatch(w)]
        kept = [w for w in words if w not in stops and len(w) <= 40]
        for word in kept:
            found.setdefault(word, None)
        # A phrase is two words side by side, neither a stop word.
        for first, second in zip(words, words[1:], strict=False):
            if first not in stops and second not in stops:
                found.setdefault(f"{first} {second}", None)
        for chunk in _CJK.findall(run):
            for i in range(len(chunk) - 1):
                found.setdefault(chunk[i : i + 2], None)
    return list(found)


def conversation_terms(bodies, language=""):
    """The terms of a conversation's shopper messages, at most MAX_TERMS."""
    found = {}
    for body in bodies:
        for term in terms_of(body or "", language):
            found.setdefault(term, None)
            if len(found) >= MAX_TERMS:
                return set(found)
    return set(found)
