"""The words of the benchmark corpus: argument-like English, near-misses, babble.

Everything here was written for pi-pause. The corpus splits every pool in two
(``tune`` and ``test``) with :func:`split`, so the sentences a spotter is tuned on
never appear in the sentences it is judged on.

The phrase itself is spoken in four positions, each built from separately
synthesised pieces (see corpus.py for why): ``alone``, at the ``start`` of an
utterance (phrase + tail), in the ``middle`` (lead + phrase + tail) and at the
``end`` (lead + phrase).
"""

from __future__ import annotations

import itertools
import random

PHRASE = "let's take a pause"

# Free-form lines of a heated domestic argument.
ARGUMENT = """
I can't believe you forgot again, we talked about this yesterday.
You said you would be home by seven and it's almost ten.
Why is it always my job to remember everything?
I'm not yelling, I'm just trying to get you to listen for once.
That's not what I said and you know it.
Don't roll your eyes at me like that.
Every time I bring something up, you turn it around on me.
I told your sister we would come, and now you want to cancel?
You spent how much on that thing without even asking me?
We agreed to split the chores, remember?
I'm exhausted, I worked twelve hours today.
So my feelings just don't count, is that it?
Can you put the phone down while I'm talking to you?
You always make plans without checking with me first.
I did the laundry, the shopping and the dishes, all of it.
Stop interrupting me, I wasn't finished.
Your mother called again, and I didn't know what to tell her.
It's not about the money, it's about trust.
Fine, do whatever you want, you always do.
I just wanted you to notice, that's all.
We never talk anymore, we just manage the house.
How many times do I have to say the same thing?
You promised you would fix the sink two weeks ago.
I feel like I'm living with a roommate, not a partner.
Are you even listening to me right now?
Don't walk away when I'm talking to you.
That was a really hurtful thing to say.
I'm sorry, but I'm not going to pretend everything is fine.
Why didn't you tell me the car was making that noise?
I was worried sick, you could have sent one message.
The kids heard every word of that, you realise that?
You think I enjoy being the bad guy all the time?
I asked for one evening to myself, just one.
Don't bring up last Christmas again, that's not fair.
I'm trying here, I really am.
Nobody asked you to fix it, I wanted you to listen.
You were the one who wanted the dog in the first place.
Well, maybe if you helped once in a while I wouldn't be so tired.
I can't do this every single weekend.
It's not nagging if I have to ask five times.
You left the door unlocked all night.
I don't want to fight about the holidays again.
Can we please not do this in front of your friends?
You made me look stupid at that dinner.
I just need you to say you understand.
Why are you getting so defensive?
I'm not criticising you, I'm telling you how I feel.
We have bills due on Friday and you bought concert tickets.
That's the third time this month.
You never ask how my day was.
I'm allowed to be upset about this.
Please stop raising your voice.
Who finished the milk and put the empty carton back?
I'm tired of apologising for things I didn't do.
You make it sound like I don't care at all.
Honestly, I don't even know what we're arguing about anymore.
Just tell me what you want me to do.
I don't need a lecture right now.
Remember when you said it would only be for a week?
Your stuff is all over the living room again.
I waited an hour at the station for you.
That's so typical, you always have an excuse.
You never apologise first.
I'm not your mother, I'm not going to clean up after you.
Why do I always have to be the reasonable one?
You didn't even look at me when I came in.
I'm hurt, okay, I'm really hurt.
It's like talking to a wall.
Do you have any idea how that made me feel?
We said no more screens after dinner.
You forgot our anniversary, and you're acting like it's nothing.
I can't keep covering for you with my parents.
Don't put words in my mouth.
You're twisting everything I say.
I said I was sorry, what more do you want?
Maybe we should just go to bed and talk tomorrow.
I don't want to hear about your boss right now.
You always take his side, every time.
The rent went up and you didn't say a word.
You could have asked me before inviting them.
I'm doing my best, and it never seems to be enough.
Why are you bringing that up now?
You're not even trying to understand.
This is exactly what happened last time.
I'm not the one who forgot to pay the electricity.
Stop acting like you're the only one who's tired.
Can you just admit you were wrong for once?
You keep saying you'll change, but nothing changes.
I needed you there and you weren't.
That's not fair and you know it isn't.
I feel completely alone in this.
You laughed when I told you, you actually laughed.
Can we talk about the budget without shouting?
Please, I'm asking nicely, clean the kitchen.
I don't care who started it.
Okay, so now it's my fault that the plants died?
You were on your phone the whole evening.
Why didn't you pick up when I called?
I'm worn out, I can't think straight.
Don't use that tone with me.
We need to figure this out, but not like this.
"""

# Base-form complaints, combined with the openers and tails below.
COMPLAINT = """
leave the dishes in the sink
forget to call your mother back
check your phone while I'm talking
come home late without texting
leave your shoes in the hallway
spend money we don't have
make fun of me in front of people
change the plan at the last minute
let the kids stay up past midnight
walk out in the middle of a conversation
leave the lights on in every room
promise things and then forget them
turn the music up when I'm working
bring work home every weekend
say you're fine when you're clearly not
ignore the bills until the last day
invite your friends without asking
take the car and leave it empty
fall asleep on the couch every night
use my towel after the gym
forget to lock the back door
answer every question with a joke
bring up my ex whenever we argue
leave the laundry in the machine
book trips without asking me
say yes to everyone except me
"""

OPENERS = ["You always", "You never even try to", "Why do you always", "Why do you keep trying to",
           "It drives me crazy when you", "I hate it when you", "I'm so tired of how you",
           "Every single week you", "Please don't", "How could you", "Sometimes you", "Why must you"]

TAILS = ["", " and you know it", " every single time", " and then act surprised",
         ", and it is not fair", " again and again", ", seriously", " and I'm done with it"]

# Sentences that share sounds or words with the phrase but must not trigger it.
NEAR_MISS = """
Fine, let's take a bus then.
Let's take a break from the screens tonight.
Can you pause the movie for a second?
Let's talk later, I have to go.
That's a fair point, I'll give you that.
I'll take a pass on dinner with them.
Let's take a walk after lunch tomorrow.
Let's take a look at the bank statement together.
Let's make a plan for the weekend.
Let's take the car, it's raining.
Let's take a picture for your mom.
Did you take a pill for your headache?
Let's bake a cake for her birthday.
Where's the pause button on this remote?
Let's take a second and look at the calendar.
Let's take a breath and read the letter again.
Let's take a bath, the kids are asleep.
Let's face it, we both made mistakes.
Let's take a seat, my feet hurt.
What's the cause of all this noise?
Let's take it slow this time.
Please pause the game, dinner is ready.
Pause for a moment and listen to the rain.
Let's take a pose for the photo.
Let's take a poll of what everyone wants.
Let's take a course in pottery.
Let's take a cab home tonight.
Let's talk about the trip on Sunday.
Let's shake on it and forget it.
The dog has mud all over its paws.
That was a long pause on the phone.
Take a pass at the draft before Monday.
Let's take a day off next week.
Let's take a loss on the old sofa and sell it.
Let's make a pasta bake tonight.
Let's take the pasta out of the pot.
There was applause after her speech.
Let's take a rest before the drive.
Let's take the cat to the vet on Monday.
Let's take a minute to find the keys.
Let's stay a bit longer at the party.
Let's make it a pause in the song right there.
Let's take a vote on the movie.
Let's take a nap, we're both wrecked.
Let's take a shortcut through the park.
Let's take a chance on the new restaurant.
Let's wait a few days before we decide.
Take the pot off the stove, please.
Let's take a ride along the coast.
Let's get a pizza and call it a night.
Let's take the stairs for once.
He paused the video and left.
It was just a pause, nothing more.
Let's take a look at the paws of the puppy.
Let's fix the clause in the contract.
Let's take a tour of the house.
"""

# Pieces that surround the phrase when it is spoken inside an utterance.
LEADS = """
Okay, stop.
You know what,
Honestly,
Look,
Alright, enough.
Wait, wait,
I'm getting really upset.
This is going nowhere.
Hey,
Please,
We're both shouting.
I can feel my heart racing.
Okay, listen,
I don't want to say something I regret.
Enough, both of us.
Hold on,
This is getting out of hand.
Stop, please,
We agreed on this, so
I need a minute.
Right,
I'm too angry to think.
Come on,
Sorry, but
"""

TAILS_AFTER_PHRASE = """
before this gets any worse.
okay?
I mean it.
we can finish this later.
please.
I'll set the timer.
twenty minutes.
and come back when we're calm.
right now.
I love you, but I need this.
for both of us.
I'm going to the bedroom.
we said we would.
just for a bit.
and breathe.
seriously.
I can't think like this.
we'll talk after.
then we try again.
and I'll make some tea.
"""

# Neutral talk for the babble and TV noise beds (never the phrase).
BABBLE = """
The weather tomorrow looks mild, with light rain in the afternoon.
Add the onions and cook them slowly until they turn golden.
The train to the city leaves from platform four at half past eight.
Scientists have found a new species of frog in the rainforest.
Our guest tonight has written three books about gardening.
Turn left at the roundabout and the shop is on your right.
The match ended in a draw after a goal in the final minute.
Prices at the market went up again this month.
She painted the fence blue and planted roses along it.
Remember to bring your umbrella and a warm jacket.
The museum is open every day except Monday.
He told a long story about his grandfather's boat.
The new library has a reading room on the top floor.
Stir in the flour and let the sauce thicken.
Traffic on the motorway is moving slowly near the bridge.
The festival will feature music from around the world.
They sold lemonade on the corner all summer long.
Doctors recommend walking at least half an hour a day.
The quiz question was about the longest river in Africa.
Please keep your seatbelts fastened until the light goes off.
The orchestra rehearsed the second movement twice.
I think the bakery closes at six on Saturdays.
A strong wind knocked over the bins last night.
The documentary follows a family of elephants.
Our neighbours are building an extension at the back.
Did you see the score from last night's game?
The recipe calls for two eggs and a cup of milk.
Election results will be announced after midnight.
The cat slept on the windowsill in the sun.
We drove past fields of sunflowers on the way.
The bank holiday weekend brought crowds to the beach.
He ordered a coffee and a slice of carrot cake.
The council plans to repair the road in spring.
A famous chef opened a restaurant on the high street.
Snow is expected in the north by Thursday.
The children built a fort out of cushions.
The company reported higher profits this quarter.
She practised the piano for an hour every evening.
The ferry was delayed because of the fog.
Sales of electric bikes have doubled this year.
"""


def lines(block: str) -> list[str]:
    """The non-empty lines of a text block."""
    return [line.strip() for line in block.strip().splitlines() if line.strip()]


def split(items: list[str], name: str, seed: int = 2026) -> list[str]:
    """The half of ``items`` that belongs to split ``name`` ('tune' or 'test').

    A fixed shuffle, then alternate halves: the two splits never share an item.
    """
    order = sorted(set(items))
    random.Random(seed).shuffle(order)
    half = len(order) // 2
    return order[:half] if name == "tune" else order[half:]


def templated() -> list[str]:
    """Every opener x complaint x tail combination, as sentences."""
    out = []
    for opener, complaint, tail in itertools.product(OPENERS, lines(COMPLAINT), TAILS):
        text = f"{opener} {complaint}{tail}"
        out.append(text + ("?" if opener.startswith(("Why", "How")) else "."))
    return out


def pools(name: str) -> dict[str, list[str]]:
    """All text pools of one split.

    Templated sentences are split by their complaint, so a complaint heard while
    tuning never reappears in the test split, even with another opener.
    """
    complaints = set(split(lines(COMPLAINT), name))
    templ = [t for t in templated() if any(c in t for c in complaints)]
    return {
        "argument": split(lines(ARGUMENT), name),
        "templated": templ,
        "near_miss": split(lines(NEAR_MISS), name),
        "lead": split(lines(LEADS), name),
        "tail": split(lines(TAILS_AFTER_PHRASE), name),
        "babble": split(lines(BABBLE), name),
    }


def contains_phrase(text: str) -> bool:
    """True when ``text`` says the phrase (used to keep negatives clean)."""
    words = "".join(c if c.isalpha() or c in "' " else " " for c in text.lower()).split()
    target = PHRASE.split()
    return any(words[i:i + len(target)] == target for i in range(len(words)))
