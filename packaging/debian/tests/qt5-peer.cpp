/* SPDX-License-Identifier: MIT */
/*
 * qt5-peer.cpp -- the Qt 5 half of the qt5-interop autopkgtest: either
 * side of the classic QSharedMemory pair that examples/provider.c and
 * examples/consumer.c play, written as a Qt application would.
 *
 * Usage: qt5-peer provider NAME TEXT
 *            create NAME with room for TEXT, its NUL and a flag byte, copy
 *            TEXT in under the lock, print "ready", then wait (up to 30 s)
 *            until a consumer has set the flag byte, and detach.
 *        qt5-peer consumer NAME
 *            attach NAME (waiting up to 30 s for it), wait for its text,
 *            set the flag byte under the lock, detach, print the text.
 *
 * Qt puts its key files in QDir::tempPath(), that is $TMPDIR: the test
 * points TMPDIR at the registry directory the xsipc side uses.
 * Exit 0 on success, 1 on failure, 2 on bad usage.
 */
#include <QtCore/QSharedMemory>
#include <QtCore/QString>

#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

namespace
{

const int kWaitSteps = 3000; /* 10 ms each: 30 s */

int fail(const QSharedMemory &shm, const char *what)
{
    std::fprintf(stderr, "qt5-peer: %s: %s\n", what,
                 qPrintable(shm.errorString()));
    return 1;
}

/* Reads the flag byte (the last one) and the text under the lock. */
bool peek(QSharedMemory &shm, char *flag, std::string *text)
{
    if (!shm.lock())
        return false;
    const char *data = static_cast<const char *>(shm.constData());
    int size = shm.size();
    *flag = data[size - 1];
    if (text != nullptr)
        text->assign(data, strnlen(data, static_cast<size_t>(size - 1)));
    return shm.unlock();
}

int provider(const char *name, const char *text)
{
    QSharedMemory shm(QString::fromUtf8(name));
    size_t len = std::strlen(text);
    char flag = 0;

    if (!shm.create(static_cast<int>(len + 2)))
        return fail(shm, "create");
    if (!shm.lock())
        return fail(shm, "lock");
    std::memcpy(shm.data(), text, len + 1);
    static_cast<char *>(shm.data())[len + 1] = 0;
    if (!shm.unlock())
        return fail(shm, "unlock");
    std::printf("ready\n");
    std::fflush(stdout);
    for (int i = 0; i < kWaitSteps && flag == 0; i++) {
        if (!peek(shm, &flag, nullptr))
            return fail(shm, "lock");
        if (flag == 0)
            usleep(10000);
    }
    if (!shm.detach())
        return fail(shm, "detach");
    if (flag == 0) {
        std::fprintf(stderr, "qt5-peer: no consumer read \"%s\"\n", name);
        return 1;
    }
    return 0;
}

int consumer(const char *name)
{
    QSharedMemory shm(QString::fromUtf8(name));
    std::string text;
    char flag = 0;
    int i = 0;

    while (!shm.attach(QSharedMemory::ReadWrite)) {
        if (shm.error() != QSharedMemory::NotFound || ++i >= kWaitSteps)
            return fail(shm, "attach");
        usleep(10000);
    }
    for (; i < kWaitSteps; i++) {
        if (!peek(shm, &flag, &text))
            return fail(shm, "lock");
        if (!text.empty())
            break;
        usleep(10000);
    }
    if (text.empty()) {
        std::fprintf(stderr, "qt5-peer: nothing to read in \"%s\"\n", name);
        return 1;
    }
    if (!shm.lock())
        return fail(shm, "lock");
    static_cast<char *>(shm.data())[shm.size() - 1] = 1;
    if (!shm.unlock())
        return fail(shm, "unlock");
    if (!shm.detach())
        return fail(shm, "detach");
    std::printf("%s\n", text.c_str());
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc == 4 && std::strcmp(argv[1], "provider") == 0)
        return provider(argv[2], argv[3]);
    if (argc == 3 && std::strcmp(argv[1], "consumer") == 0)
        return consumer(argv[2]);
    std::fprintf(stderr, "usage: qt5-peer provider NAME TEXT\n"
                         "       qt5-peer consumer NAME\n");
    return 2;
}
