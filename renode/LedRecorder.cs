// LedRecorder.cs: records when an LED of the machine turns on and off, in virtual time, for tests
// to read its blink patterns back. Renode compiles the file when a script includes it.
// `emulation CreateLedRecorder "ledlog" sysbus.gpioPortA.UserLED`, then `ledlog Transitions`:
// "t_ms:state" pairs separated by spaces, state 1 lit and 0 dark; `ledlog Clear` starts afresh.
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using Antmicro.Renode.Core;
using Antmicro.Renode.Peripherals;
using Antmicro.Renode.Peripherals.Miscellaneous;

namespace Antmicro.Renode.Testing
{
    public static class LedRecorderExtensions
    {
        public static void CreateLedRecorder(this Emulation emulation, string name, ILed led)
        {
            emulation.ExternalsManager.AddExternal(new LedRecorder(led), name);
        }
    }

    public class LedRecorder : IExternal
    {
        public LedRecorder(ILed led)
        {
            machine = led.GetMachine();
            led.StateChanged += (_, state) =>
            {
                var ms = machine.LocalTimeSource.ElapsedVirtualTime.TotalMilliseconds;
                lock(transitions)
                {
                    transitions.Add(string.Format(CultureInfo.InvariantCulture, "{0:F1}:{1}", ms, state ? 1 : 0));
                }
            };
        }

        public string Transitions()
        {
            lock(transitions)
            {
                return string.Join(" ", transitions);
            }
        }

        public void Clear()
        {
            lock(transitions)
            {
                transitions.Clear();
            }
        }

        private readonly IMachine machine;
        private readonly List<string> transitions = new List<string>();
    }
}
