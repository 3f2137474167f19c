// BlockSocketTerminal.cs: a Renode terminal that serves a UART on a raw TCP socket in blocks of bytes.
// Renode's own server-socket terminal (1.15) reads its socket one byte at a time, posts each byte to
// the machine as an event of its own, and writes each transmitted byte on its own from a thread that
// polls for 60 ms after every write. This one hands the UART each block the socket delivers in one
// event, so that a burst written at once reaches the UART in one virtual instant, and writes what
// the UART transmitted in as few writes as the client keeps up with, from a thread that waits for
// it. Renode compiles the file when a script includes it (fxclass.resc does).
using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;
using Antmicro.Migrant;
using Antmicro.Renode.Core;
using Antmicro.Renode.Exceptions;
using Antmicro.Renode.Logging;
using Antmicro.Renode.Peripherals;
using Antmicro.Renode.Peripherals.UART;
using Antmicro.Renode.Time;

namespace Antmicro.Renode.Backends.Terminals
{
    public static class BlockSocketTerminalExtensions
    {
        // `emulation CreateBlockSocketTerminal 3456 "console"`, then `connector Connect sysbus.usart2 console`:
        // raw bytes (as CreateServerSocketTerminal with its third argument false), on 127.0.0.1.
        public static void CreateBlockSocketTerminal(this Emulation emulation, int port, string name)
        {
            emulation.ExternalsManager.AddExternal(new BlockSocketTerminal(port), name);
        }
    }

    [Transient]
    public class BlockSocketTerminal : IExternal, IConnectable<IUART>, IDisposable
    {
        public BlockSocketTerminal(int port)
        {
            listener = new TcpListener(IPAddress.Loopback, port);
            try
            {
                listener.Start(1);
            }
            catch(SocketException e)
            {
                throw new RecoverableException($"cannot serve 127.0.0.1:{port}: {e.Message} (pick another port)");
            }
            readerThread = new Thread(ReaderLoop) { IsBackground = true, Name = $"BlockSocketTerminal:{port} reader" };
            writerThread = new Thread(WriterLoop) { IsBackground = true, Name = $"BlockSocketTerminal:{port} writer" };
            readerThread.Start();
            writerThread.Start();
        }

        public void AttachTo(IUART uart)
        {
            // Such a UART says when it is full; this terminal gives it every byte at once.
            if(uart is IUARTWithBufferState)
            {
                throw new RecoverableException($"{uart.GetType().Name} has a buffer state: connect it to CreateServerSocketTerminal");
            }
            lock(sync)
            {
                this.uart = uart;
                machine = uart.GetMachine();
                fillableFifo = FillableReceiveFifo(uart);
            }
            uart.CharReceived += Transmitted;
        }

        public void DetachFrom(IUART uart)
        {
            uart.CharReceived -= Transmitted;
            lock(sync)
            {
                this.uart = null;
                machine = null;
                fillableFifo = null;
            }
        }

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            lock(sync)
            {
                Close(client);
            }
            outputReady.Set();
            readerThread.Join();
            writerThread.Join();
        }

        // One client at a time, as on a serial cable; the next one is accepted when it leaves.
        private void ReaderLoop()
        {
            var buffer = new byte[ReadBlockBytes];
            while(!stopping)
            {
                Socket socket;
                try
                {
                    socket = listener.AcceptSocket();
                }
                catch(Exception e) when(e is SocketException || e is ObjectDisposedException || e is InvalidOperationException)
                {
                    return;
                }
                // A reply is a few dozen bytes: send it now rather than wait for an ACK (Nagle).
                socket.NoDelay = true;
                lock(sync)
                {
                    client = socket;
                }
                outputReady.Set(); // what the UART sent while nobody listened
                try
                {
                    int count;
                    while((count = socket.Receive(buffer)) > 0)
                    {
                        var block = new byte[count];
                        Array.Copy(buffer, block, count);
                        Deliver(block);
                    }
                }
                catch(Exception e) when(e is SocketException || e is ObjectDisposedException)
                {
                }
                lock(sync)
                {
                    client = null;
                }
                Close(socket);
            }
        }

        // One time-domain event for the block: all of it enters the UART in the same virtual instant.
        private void Deliver(byte[] block)
        {
            IMachine target;
            lock(sync)
            {
                target = machine;
            }
            if(target == null)
            {
                return; // connected to no UART: the bytes go nowhere, as down a loose wire
            }
            if(!TimeDomainsManager.Instance.TryGetVirtualTimeStamp(out var timeStamp))
            {
                timeStamp = new TimeStamp(default(TimeInterval), EmulationManager.ExternalWorld);
            }
            target.HandleTimeDomainEvent<byte[]>(WriteToUart, block, timeStamp);
        }

        // STM32_UART (Renode 1.15) arms an idle-line action for every byte WriteChar gives it, a new
        // entry in the machine's clock source each time, kept until it expires one character time
        // later; adding and removing one costs time in proportion to the entries there are (some 80
        // on these platforms), so n bytes in one instant cost n squared: 1,212 bytes (an INFER)
        // took 0.25 s of host time and 5,000 bytes 4.6 s, where the rest of the work is 0.1 ms.
        // It has no call that takes several bytes, so the block's first and last bytes go through
        // WriteChar (the receiver-enabled check, RXNE, the idle-line action, the interrupt) and
        // those between go straight into its receive FIFO: the UART ends as n calls would leave it,
        // in the same instant, with two actions armed instead of n.
        private void WriteToUart(byte[] block)
        {
            IUART target;
            Queue<byte> fifo;
            lock(sync)
            {
                target = uart;
                fifo = fillableFifo;
            }
            if(target == null)
            {
                return;
            }
            var first = 0;
            if(fifo != null && block.Length > 2)
            {
                var held = fifo.Count;
                target.WriteChar(block[0]);
                first = 1;
                if(fifo.Count == held + 1) // else the receiver is off and drops them: each says so
                {
                    for(; first < block.Length - 1; first++)
                    {
                        fifo.Enqueue(block[first]);
                    }
                }
            }
            for(var i = first; i < block.Length; i++)
            {
                target.WriteChar(block[i]);
            }
        }

        // The receive FIFO of a Renode 1.15 STM32_UART; null for any other UART, which gets its bytes
        // through WriteChar (later STM32_UARTs pace them and feed DMA, which the FIFO would bypass).
        private static Queue<byte> FillableReceiveFifo(IUART uart)
        {
            if(uart.GetType() != typeof(STM32_UART) || !EmulationManager.Instance.VersionString.Contains("version 1.15."))
            {
                return null;
            }
            var field = typeof(STM32_UART).GetField("receiveFifo", BindingFlags.NonPublic | BindingFlags.Instance);
            return field?.GetValue(uart) as Queue<byte>;
        }

        // Called on the CPU thread for every byte the firmware transmits: queue it, wake the writer.
        private void Transmitted(byte value)
        {
            lock(sync)
            {
                if(client == null && output.Count >= HeldWhileDisconnectedBytes)
                {
                    return;
                }
                output.Add(value);
                if(output.Count > 1)
                {
                    return; // the writer is awake already and takes this byte with the others
                }
            }
            outputReady.Set();
        }

        private void WriterLoop()
        {
            while(!stopping)
            {
                outputReady.WaitOne();
                byte[] data;
                Socket socket;
                lock(sync)
                {
                    if(client == null || output.Count == 0)
                    {
                        continue;
                    }
                    data = output.ToArray();
                    output.Clear();
                    socket = client;
                }
                try
                {
                    socket.Send(data);
                }
                catch(Exception e) when(e is SocketException || e is ObjectDisposedException)
                {
                    this.Log(LogLevel.Debug, "The client left: {0} transmitted bytes dropped", data.Length);
                }
            }
        }

        private static void Close(Socket socket)
        {
            if(socket == null)
            {
                return;
            }
            try
            {
                socket.Shutdown(SocketShutdown.Both); // ends a Receive waiting in the reader
            }
            catch(Exception e) when(e is SocketException || e is ObjectDisposedException)
            {
            }
            socket.Close();
        }

        // One read takes whatever a client wrote in one go (a loopback segment is at most 64 KiB).
        private const int ReadBlockBytes = 65536;
        // Kept for the next client, as the boot announcement is; beyond that the UART talks to nobody.
        private const int HeldWhileDisconnectedBytes = 65536;

        private readonly TcpListener listener;
        private readonly Thread readerThread;
        private readonly Thread writerThread;
        private readonly AutoResetEvent outputReady = new AutoResetEvent(false);
        private readonly List<byte> output = new List<byte>();
        private readonly object sync = new object();
        private volatile bool stopping;
        private Socket client;
        private IUART uart;
        private IMachine machine;
        private Queue<byte> fillableFifo;
    }
}
